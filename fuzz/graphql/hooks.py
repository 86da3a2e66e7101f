"""Schemathesis hooks for fuzzing the GraphQL API: strategies for Tianguis's own scalars,
and the check that no answer is an INTERNAL error."""

from datetime import timezone

import graphql
import schemathesis
from hypothesis import strategies as st
from schemathesis.graphql import nodes

# Money and quantities travel as strings: in range, out of range, too precise, not numbers.
schemathesis.graphql.scalar(
    "Decimal",
    st.one_of(
        st.decimals(allow_nan=False, allow_infinity=False, places=4).map(str),
        st.text(max_size=24),
    ).map(nodes.String),
)
schemathesis.graphql.scalar(
    "DateTime",
    st.one_of(
        st.datetimes(timezones=st.just(timezone.utc)).map(lambda d: d.isoformat()),
        st.text(max_size=32),
    ).map(nodes.String),
)
schemathesis.graphql.scalar(
    "NaiveDate",
    st.one_of(st.dates().map(lambda d: d.isoformat()), st.text(max_size=16)).map(nodes.String),
)
schemathesis.graphql.scalar(
    "JSON",
    st.one_of(
        st.text(max_size=64).map(nodes.String),
        st.integers().map(nodes.Int),
        st.booleans().map(nodes.Boolean),
        st.dictionaries(st.from_regex(r"\A[a-z][a-zA-Z0-9]{0,11}\Z"), st.text(max_size=32), max_size=4).map(
            lambda fields: nodes.Object(
                [
                    graphql.ObjectFieldNode(name=graphql.NameNode(value=key), value=nodes.String(value))
                    for key, value in fields.items()
                ]
            )
        ),
    ),
)


@schemathesis.check
def no_internal_error(ctx, response, case):
    """An unexpected error is a bug whatever the input: the server answers INTERNAL for it."""
    if response.status_code >= 500:
        raise AssertionError(f"HTTP {response.status_code}")
    try:
        body = response.json()
    except ValueError:
        return None
    for error in body.get("errors") or []:
        if (error.get("extensions") or {}).get("code") == "INTERNAL":
            raise AssertionError(f"INTERNAL answer (request id {error['extensions'].get('requestId')})")
    return None
