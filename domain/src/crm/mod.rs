//! CRM: contacts and companies, custom fields, pipelines and leads with scoring, activities
//! and tasks, timelines, proposals with a public accept page, and dashboards.

pub mod activities;
pub mod companies;
pub mod contacts;
pub mod custom_fields;
pub mod dashboard;
pub mod leads;
pub mod pipelines;
pub mod proposals;
pub mod quote;
pub mod rules;
pub mod scoring;
pub mod search;
pub mod timeline;

use rust_decimal::Decimal;
use sea_orm::{ConnectionTrait, EntityTrait};
use tianguis_entity::tenancy::tenants;
use uuid::Uuid;

use crate::{Error, Result};

/// An exact amount of money.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Money {
    pub minor: i64,
    pub currency: String,
}

impl Money {
    pub fn new(minor: i64, currency: &str) -> Self {
        Self {
            minor,
            currency: currency.to_owned(),
        }
    }

    pub fn amount(&self) -> Decimal {
        rules::from_minor(self.minor, &self.currency)
    }
}

/// Tags as stored (a JSON array).
pub fn tags_of(json: &serde_json::Value) -> Vec<String> {
    json.as_array()
        .map(|a| {
            a.iter()
                .filter_map(|t| t.as_str().map(str::to_owned))
                .collect()
        })
        .unwrap_or_default()
}

/// The regional defaults of the tenant: its country and currency.
pub(crate) async fn tenant_region<C: ConnectionTrait>(
    conn: &C,
    tenant_id: Uuid,
) -> Result<tenants::Model> {
    tenants::Entity::find_by_id(tenant_id)
        .one(conn)
        .await?
        .ok_or(Error::NotFound("tenant"))
}

/// Rows grouped under their parent's id, in the order read: what a loader of a list per
/// parent returns.
pub(crate) fn group_by<T>(
    rows: Vec<T>,
    parent: impl Fn(&T) -> Option<Uuid>,
) -> std::collections::HashMap<Uuid, Vec<T>> {
    let mut out: std::collections::HashMap<Uuid, Vec<T>> = std::collections::HashMap::new();
    for row in rows {
        if let Some(id) = parent(&row) {
            out.entry(id).or_default().push(row);
        }
    }
    out
}

/// Lower-cased text that free-text search looks in.
pub(crate) fn search_text(parts: &[Option<&str>]) -> String {
    parts
        .iter()
        .flatten()
        .map(|p| p.trim().to_lowercase())
        .filter(|p| !p.is_empty())
        .collect::<Vec<_>>()
        .join(" ")
}
