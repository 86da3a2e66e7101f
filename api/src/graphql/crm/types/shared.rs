//! CRM's GraphQL object types: shared.

use crate::graphql::context::deps;
use crate::graphql::context::tenant;
use crate::graphql::error::GqlResult;
use crate::graphql::error::parse_id;
use async_graphql::Context;
use async_graphql::ID;
use chrono::DateTime;
use chrono::Utc;
use tianguis_domain::crm::custom_fields;
use tianguis_domain::crm::pipelines;
use tianguis_domain::crm::proposals;
use tianguis_domain::crm::timeline;
use tianguis_domain::page::SortDirection;

use crate::graphql::common::*;
use crate::graphql::crm::*;

pub(crate) fn item_inputs(
    items: Vec<ProposalItemInput>,
) -> async_graphql::Result<Vec<proposals::ItemInput>> {
    items
        .into_iter()
        .map(|i| {
            Ok(proposals::ItemInput {
                product_id: optional_id(i.product_id.as_ref(), "productId")?,
                description: i.description,
                quantity: i.quantity,
                unit_price: i.unit_price,
                discount: i.discount,
                tax: i.tax_rate.into(),
                withholdings: i.withholdings.into_iter().map(Into::into).collect(),
            })
        })
        .collect()
}

impl From<RecordOrder> for SortDirection {
    fn from(o: RecordOrder) -> Self {
        match o {
            RecordOrder::NewestFirst => SortDirection::Desc,
            RecordOrder::OldestFirst => SortDirection::Asc,
        }
    }
}

pub fn custom_filters(
    filters: Option<Vec<CustomFieldFilter>>,
) -> Vec<custom_fields::CustomFieldFilter> {
    filters
        .unwrap_or_default()
        .into_iter()
        .map(|f| custom_fields::CustomFieldFilter {
            key: f.key,
            equals: f.equals,
            min: f.min,
            max: f.max,
        })
        .collect()
}

pub(crate) fn ids(
    values: Option<Vec<ID>>,
    field: &'static str,
) -> async_graphql::Result<Vec<uuid::Uuid>> {
    values
        .unwrap_or_default()
        .iter()
        .map(|id| parse_id(id, field))
        .collect()
}

pub(crate) fn stage_inputs(
    stages: Vec<StageInput>,
) -> async_graphql::Result<Vec<pipelines::StageInput>> {
    stages
        .into_iter()
        .map(|s| {
            Ok(pipelines::StageInput {
                id: optional_id(s.id.as_ref(), "stages")?,
                name: s.name,
                probability: s.probability,
                outcome: s.outcome.into(),
            })
        })
        .collect()
}

pub(crate) const TIMELINE_DEFAULT: i32 = 50;

pub(crate) async fn timeline_of(
    ctx: &Context<'_>,
    subject: timeline::Subject,
    limit: Option<i32>,
    before: Option<DateTime<Utc>>,
) -> async_graphql::Result<Vec<TimelineEntry>> {
    let limit = limit.unwrap_or(TIMELINE_DEFAULT).max(1) as u64;

    let entries = timeline::entries(deps(ctx)?, tenant(ctx)?, subject, before, limit)
        .await
        .gql()?;
    Ok(entries
        .into_iter()
        .filter_map(TimelineEntry::from_domain)
        .collect())
}
