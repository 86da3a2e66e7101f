//! The one guard over every text a client sends: arguments written in the document and
//! the variables they use, at any depth of input objects and lists, for queries,
//! mutations and subscriptions alike.
//!
//! - Control characters are refused (PostgreSQL cannot store NUL, and no one types the
//!   others); tab, newline and carriage return only in fields that hold prose.
//! - Every text has a maximum length.
//! - Text is normalised to Unicode NFC, so names typed on different keyboards compare and
//!   search equal. Credentials are compared byte for byte and left as sent.
//!
//! Refusals are BAD_USER_INPUT naming the field, before anything runs.

use std::collections::HashMap;
use std::sync::Arc;

use async_graphql::extensions::{
    Extension, ExtensionContext, ExtensionFactory, NextPrepareRequest,
};
use async_graphql::parser::types::{
    DocumentOperations, ExecutableDocument, FragmentDefinition, OperationDefinition, OperationType,
    Selection, SelectionSet,
};
use async_graphql::registry::{MetaType, MetaTypeName, Registry};
use async_graphql::{Name, Positioned, Request, ServerError, ServerResult, Variables};
use async_graphql_value::{ConstValue, Value};
use unicode_normalization::{IsNormalized, UnicodeNormalization, is_nfc_quick};

/// Input fields that hold prose, where line breaks and tabs belong.
const MULTI_LINE: &[&str] = &[
    "address",
    "body",
    "caption",
    "certificate",
    "description",
    "lostReason",
    "motive",
    "notes",
    "privateKey",
    "reason",
    "text",
];

/// Input fields compared byte for byte, which normalising would change.
const VERBATIM: &[&str] = &[
    "certificate",
    "pacPassword",
    "password",
    "privateKey",
    "refreshToken",
    "token",
    "totpCode",
];

/// Long enough for a URL; names, codes and search text are far shorter.
pub const MAX_LINE_CHARS: usize = 2_048;
/// Long enough for an email's HTML body or a certificate in base64.
pub const MAX_PROSE_CHARS: usize = 65_536;

/// Installs the guard; it runs after persisted queries have been resolved to their text.
pub struct TextInputGuard;

impl ExtensionFactory for TextInputGuard {
    fn create(&self) -> Arc<dyn Extension> {
        Arc::new(TextInputGuardExtension)
    }
}

struct TextInputGuardExtension;

#[async_trait::async_trait]
impl Extension for TextInputGuardExtension {
    async fn prepare_request(
        &self,
        ctx: &ExtensionContext<'_>,
        mut request: Request,
        next: NextPrepareRequest<'_>,
    ) -> ServerResult<Request> {
        // A document that does not parse is reported by the schema as it is.
        if let Ok(document) = request.parsed_query() {
            let mut document = document.clone();
            let mut walker = Walker {
                registry: &ctx.schema_env.registry,
                variables: &mut request.variables,
                path: Vec::new(),
                fragments_entered: Vec::new(),
            };
            walker.document(&mut document)?;
            request.set_parsed_query(document);
        }
        next.run(ctx, request).await
    }
}

struct Walker<'a> {
    registry: &'a Registry,
    variables: &'a mut Variables,
    /// The argument and input fields leading to the value being checked.
    path: Vec<String>,
    /// Fragments being expanded, so a cycle (refused later by validation) ends here.
    fragments_entered: Vec<Name>,
}

impl Walker<'_> {
    fn document(&mut self, document: &mut ExecutableDocument) -> ServerResult<()> {
        let mut fragments = std::mem::take(&mut document.fragments);
        let operations: Vec<&mut OperationDefinition> = match &mut document.operations {
            DocumentOperations::Single(operation) => vec![&mut operation.node],
            DocumentOperations::Multiple(operations) => {
                operations.values_mut().map(|o| &mut o.node).collect()
            }
        };
        let mut checked = Ok(());
        for operation in operations {
            let root = match operation.ty {
                OperationType::Query => Some(&self.registry.query_type),
                OperationType::Mutation => self.registry.mutation_type.as_ref(),
                OperationType::Subscription => self.registry.subscription_type.as_ref(),
            };
            if let Some(root) = root.cloned() {
                checked =
                    self.selection_set(&root, &mut operation.selection_set.node, &mut fragments);
                if checked.is_err() {
                    break;
                }
            }
        }
        document.fragments = fragments;
        checked
    }

    fn selection_set(
        &mut self,
        parent: &str,
        set: &mut SelectionSet,
        fragments: &mut HashMap<Name, Positioned<FragmentDefinition>>,
    ) -> ServerResult<()> {
        for selection in &mut set.items {
            match &mut selection.node {
                Selection::Field(field) => {
                    let field = &mut field.node;
                    // Unknown fields are the validator's to report.
                    let Some(meta) = self
                        .registry
                        .types
                        .get(parent)
                        .and_then(|ty| ty.field_by_name(&field.name.node))
                    else {
                        continue;
                    };
                    for (name, value) in &mut field.arguments {
                        let Some(argument) = meta.args.get(name.node.as_str()) else {
                            continue;
                        };
                        self.path.push(name.node.to_string());
                        let checked = self.value(&argument.ty, &mut value.node);
                        self.path.pop();
                        checked?;
                    }
                    let child = MetaTypeName::concrete_typename(&meta.ty).to_owned();
                    self.selection_set(&child, &mut field.selection_set.node, fragments)?;
                }
                Selection::InlineFragment(fragment) => {
                    let fragment = &mut fragment.node;
                    let on = fragment
                        .type_condition
                        .as_ref()
                        .map_or_else(|| parent.to_owned(), |c| c.node.on.node.to_string());
                    self.selection_set(&on, &mut fragment.selection_set.node, fragments)?;
                }
                Selection::FragmentSpread(spread) => {
                    let name = spread.node.fragment_name.node.clone();
                    if self.fragments_entered.contains(&name) {
                        continue;
                    }
                    let Some(mut fragment) = fragments.remove(&name) else {
                        continue;
                    };
                    self.fragments_entered.push(name.clone());
                    let on = fragment.node.type_condition.node.on.node.to_string();
                    let checked =
                        self.selection_set(&on, &mut fragment.node.selection_set.node, fragments);
                    self.fragments_entered.pop();
                    fragments.insert(name, fragment);
                    checked?;
                }
            }
        }
        Ok(())
    }

    /// A value written in the document; variables it names are checked in place.
    fn value(&mut self, ty: &str, value: &mut Value) -> ServerResult<()> {
        match value {
            Value::Variable(name) => match self.variables.get_mut(name) {
                Some(value) => {
                    let registry = self.registry;
                    check_const(registry, &mut self.path, ty, value)
                }
                None => Ok(()),
            },
            Value::String(text) => self.text(ty, text),
            Value::List(items) => {
                let item_ty = list_item(ty);
                items
                    .iter_mut()
                    .try_for_each(|item| self.value(item_ty, item))
            }
            Value::Object(fields) => {
                for (name, field_value) in fields.iter_mut() {
                    let Some(field_ty) = field_type(self.registry, ty, name) else {
                        continue;
                    };
                    self.path.push(name.to_string());
                    let checked = self.value(&field_ty, field_value);
                    self.path.pop();
                    checked?;
                }
                Ok(())
            }
            _ => Ok(()),
        }
    }

    fn text(&mut self, ty: &str, text: &mut String) -> ServerResult<()> {
        check_text(&self.path, MetaTypeName::concrete_typename(ty), text)
    }
}

/// A variable's value, checked against the type of the place it is used.
fn check_const(
    registry: &Registry,
    path: &mut Vec<String>,
    ty: &str,
    value: &mut ConstValue,
) -> ServerResult<()> {
    match value {
        ConstValue::String(text) => check_text(path, MetaTypeName::concrete_typename(ty), text),
        ConstValue::List(items) => {
            let item_ty = list_item(ty);
            items
                .iter_mut()
                .try_for_each(|item| check_const(registry, path, item_ty, item))
        }
        ConstValue::Object(fields) => {
            for (name, field_value) in fields.iter_mut() {
                let Some(field_ty) = field_type(registry, ty, name) else {
                    continue;
                };
                path.push(name.to_string());
                let checked = check_const(registry, path, &field_ty, field_value);
                path.pop();
                checked?;
            }
            Ok(())
        }
        _ => Ok(()),
    }
}

fn check_text(path: &[String], scalar: &str, text: &mut String) -> ServerResult<()> {
    let field = path.last().map_or("", String::as_str);
    let prose = scalar == "JSON" || MULTI_LINE.contains(&field);
    match scalar {
        "String" | "JSON" => {}
        // Ids, dates and numbers are parsed by their scalar, which refuses anything odd.
        _ => return Ok(()),
    }
    let allowed = |c: char| !c.is_control() || (prose && matches!(c, '\t' | '\n' | '\r'));
    if let Some(bad) = text.chars().find(|c| !allowed(*c)) {
        return Err(refusal(
            path,
            field,
            &format!(
                "must not contain the control character U+{:04X}",
                u32::from(bad)
            ),
        ));
    }
    let max = if prose {
        MAX_PROSE_CHARS
    } else {
        MAX_LINE_CHARS
    };
    // Bytes bound characters from above: most texts never need the count.
    if text.len() > max && text.chars().count() > max {
        return Err(refusal(
            path,
            field,
            &format!("must be at most {max} characters long"),
        ));
    }
    if scalar == "String"
        && !VERBATIM.contains(&field)
        && is_nfc_quick(text.chars()) != IsNormalized::Yes
    {
        *text = text.nfc().collect();
    }
    Ok(())
}

fn refusal(path: &[String], field: &str, problem: &str) -> ServerError {
    let mut error = ServerError::new(format!("`{}` {problem}", path.join(".")), None);
    let mut extensions = async_graphql::ErrorExtensionValues::default();
    extensions.set("code", "BAD_USER_INPUT");
    extensions.set("field", field);
    error.extensions = Some(extensions);
    error
}

/// `[T!]!` → `T!`; a named type stays itself (input coercion wraps a single value).
fn list_item(ty: &str) -> &str {
    match MetaTypeName::create(ty) {
        MetaTypeName::NonNull(inner) => list_item(inner),
        MetaTypeName::List(inner) => inner,
        MetaTypeName::Named(_) => ty,
    }
}

/// The type of an input object's field; inside a JSON value every key is data, held to
/// the rules of prose.
fn field_type(registry: &Registry, ty: &str, field: &str) -> Option<String> {
    let named = MetaTypeName::concrete_typename(ty);
    if named == "JSON" {
        return Some("JSON".to_owned());
    }
    match registry.types.get(named)? {
        MetaType::InputObject { input_fields, .. } => {
            input_fields.get(field).map(|meta| meta.ty.clone())
        }
        _ => None,
    }
}
