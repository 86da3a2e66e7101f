//! Price lists: prices other than the catalog's, such as wholesale, or those of a group of
//! customers (the contacts with a tag). A sale names its list, or takes the one its
//! customer's tags give; a variant the list does not price sells at the catalog's price.

use std::collections::HashMap;

use rust_decimal::Decimal;
use sea_orm::sea_query::OnConflict;
use sea_orm::{ActiveValue::Set, ColumnTrait, EntityTrait, QueryFilter, QueryOrder};
use tianguis_entity::commerce::{price_list_items as items, price_lists as lists};
use tianguis_kernel::rules::{money_minor, optional_text, required_text};
use uuid::Uuid;

use crate::catalog::require_catalog_read;
use crate::db::{TenantTx, stamped, tenant_region};
use crate::error::conflict_on;
use crate::{Deps, Error, Permission, Result, TenantCtx, audit};

pub use items::Model as PriceListItem;
pub use lists::Model as PriceList;

/// Prices one call may set.
const MAX_PRICES: usize = 1_000;

fn name_taken(e: sea_orm::DbErr) -> Error {
    conflict_on(
        e,
        "ux_price_lists_name",
        "price_lists.tenant_id, price_lists.name",
        "name",
        "a price list with this name exists",
    )
}

fn tag(raw: Option<&str>) -> Result<Option<String>> {
    Ok(optional_text(raw, "contactTag", 50)?.map(|t| t.to_lowercase()))
}

pub async fn create(
    deps: &Deps,
    ctx: &TenantCtx,
    name: &str,
    contact_tag: Option<&str>,
) -> Result<PriceList> {
    ctx.require(Permission::CommerceWrite)?;
    let name = required_text(name, "name", 80)?;
    let contact_tag = tag(contact_tag)?;
    let mut tx = TenantTx::begin(deps, ctx.tenant_id).await?;
    let list = tx
        .insert(lists::ActiveModel {
            id: Set(Uuid::now_v7()),
            tenant_id: Set(ctx.tenant_id),
            name: Set(name),
            contact_tag: Set(contact_tag),
            active: Set(true),
            ..Default::default()
        })
        .await
        .map_err(name_taken)?;
    audit::record(
        &mut tx,
        ctx,
        "commerce.price_list.created",
        ("price_list", Some(list.id)),
        serde_json::json!({ "name": list.name, "contactTag": list.contact_tag }),
    )
    .await?;
    tx.commit().await?;
    Ok(list)
}

/// Renames, re-tags, switches on or off; `None` leaves a part as it is.
pub async fn update(
    deps: &Deps,
    ctx: &TenantCtx,
    id: Uuid,
    name: Option<String>,
    contact_tag: Option<Option<String>>,
    active: Option<bool>,
) -> Result<PriceList> {
    ctx.require(Permission::CommerceWrite)?;
    let mut tx = TenantTx::begin(deps, ctx.tenant_id).await?;
    let list = tx.get::<lists::Entity>(id, "price list").await?;
    let mut model: lists::ActiveModel = list.into();
    if let Some(name) = name {
        model.name = Set(required_text(&name, "name", 80)?);
    }
    if let Some(contact_tag) = contact_tag {
        model.contact_tag = Set(tag(contact_tag.as_deref())?);
    }
    if let Some(active) = active {
        model.active = Set(active);
    }
    let list = tx.update(model).await.map_err(name_taken)?;
    audit::record(
        &mut tx,
        ctx,
        "commerce.price_list.updated",
        ("price_list", Some(list.id)),
        serde_json::json!({ "name": list.name, "contactTag": list.contact_tag, "active": list.active }),
    )
    .await?;
    tx.commit().await?;
    Ok(list)
}

/// A variant's price on a list; `None` takes it off the list.
#[derive(Clone, Debug)]
pub struct PriceInput {
    pub variant_id: Uuid,
    pub price: Option<Decimal>,
}

/// Sets or removes prices on a list, all in one step.
pub async fn set_prices(
    deps: &Deps,
    ctx: &TenantCtx,
    id: Uuid,
    prices: Vec<PriceInput>,
) -> Result<PriceList> {
    ctx.require(Permission::CommerceWrite)?;
    if prices.is_empty() || prices.len() > MAX_PRICES {
        return Err(Error::invalid(
            "prices",
            format!("1 to {MAX_PRICES} prices at a time"),
        ));
    }
    let mut tx = TenantTx::begin(deps, ctx.tenant_id).await?;
    let list = tx.get::<lists::Entity>(id, "price list").await?;
    let variants: Vec<Uuid> = prices.iter().map(|p| p.variant_id).collect();
    tx.check_references::<tianguis_entity::commerce::product_variants::Entity>(
        &variants,
        "variantId",
        "variant",
    )
    .await?;
    let currency = tenant_region(&*tx, ctx.tenant_id).await?.currency;
    let mut upserts = Vec::new();
    let mut removed = Vec::new();
    for price in &prices {
        match price.price {
            Some(amount) => upserts.push(stamped(
                tx.now(),
                items::ActiveModel {
                    id: Set(Uuid::now_v7()),
                    tenant_id: Set(ctx.tenant_id),
                    price_list_id: Set(list.id),
                    variant_id: Set(price.variant_id),
                    price_minor: Set(money_minor(amount, &currency, "price")?),
                    ..Default::default()
                },
            )),
            None => removed.push(price.variant_id),
        }
    }
    if !removed.is_empty() {
        items::Entity::delete_many()
            .filter(items::Column::TenantId.eq(ctx.tenant_id))
            .filter(items::Column::PriceListId.eq(list.id))
            .filter(items::Column::VariantId.is_in(removed))
            .exec(&*tx)
            .await?;
    }
    if !upserts.is_empty() {
        items::Entity::insert_many(upserts)
            .on_conflict(
                OnConflict::columns([
                    items::Column::TenantId,
                    items::Column::PriceListId,
                    items::Column::VariantId,
                ])
                .update_columns([items::Column::PriceMinor, items::Column::UpdatedAt])
                .to_owned(),
            )
            .exec_without_returning(&*tx)
            .await?;
    }
    audit::record(
        &mut tx,
        ctx,
        "commerce.price_list.prices_set",
        ("price_list", Some(list.id)),
        serde_json::json!({ "prices": prices.len() }),
    )
    .await?;
    tx.commit().await?;
    Ok(list)
}

pub async fn list(deps: &Deps, ctx: &TenantCtx) -> Result<Vec<PriceList>> {
    require_catalog_read(ctx)?;
    let tx = TenantTx::begin(deps, ctx.tenant_id).await?;
    let found = tx
        .select::<lists::Entity>()
        .order_by_asc(lists::Column::Name)
        .all(&*tx)
        .await?;
    tx.commit().await?;
    Ok(found)
}

/// Each list's prices: one statement per batch.
pub async fn items_of(
    deps: &Deps,
    ctx: &TenantCtx,
    ids: &[Uuid],
) -> Result<HashMap<Uuid, Vec<PriceListItem>>> {
    require_catalog_read(ctx)?;
    let tx = TenantTx::begin(deps, ctx.tenant_id).await?;
    let rows = tx
        .select::<items::Entity>()
        .filter(items::Column::PriceListId.is_in(ids.iter().copied()))
        .order_by_asc(items::Column::Id)
        .all(&*tx)
        .await?;
    tx.commit().await?;
    Ok(crate::page::group_by(rows, |row| Some(row.price_list_id)))
}

/// The list a sale sells at: the one named (which must be active), else the first active
/// list, by name, tagged with one of the customer's tags; else none, the catalog's prices.
pub(crate) async fn applicable(
    tx: &TenantTx,
    named: Option<Uuid>,
    contact: Option<Uuid>,
) -> Result<Option<PriceList>> {
    if let Some(id) = named {
        let list = tx
            .get::<lists::Entity>(id, "price list")
            .await
            .map_err(|_| Error::invalid("priceListId", "no such price list"))?;
        if !list.active {
            return Err(Error::invalid(
                "priceListId",
                "the price list is switched off",
            ));
        }
        return Ok(Some(list));
    }
    let Some(contact) = contact else {
        return Ok(None);
    };
    let contact = tx
        .get::<tianguis_entity::crm::contacts::Entity>(contact, "contact")
        .await
        .map_err(|_| Error::invalid("contactId", "no such contact"))?;
    let tags: Vec<String> = serde_json::from_value::<Vec<String>>(contact.tags)
        .unwrap_or_default()
        .into_iter()
        .map(|t| t.to_lowercase())
        .collect();
    if tags.is_empty() {
        return Ok(None);
    }
    Ok(tx
        .select::<lists::Entity>()
        .filter(lists::Column::Active.eq(true))
        .filter(lists::Column::ContactTag.is_in(tags))
        .order_by_asc(lists::Column::Name)
        .one(&**tx)
        .await?)
}

/// The list's prices of `variants`: those it sets.
pub(crate) async fn prices(
    tx: &TenantTx,
    list: Option<&PriceList>,
    variants: &[Uuid],
) -> Result<HashMap<Uuid, i64>> {
    let Some(list) = list else {
        return Ok(HashMap::new());
    };
    Ok(tx
        .select::<items::Entity>()
        .filter(items::Column::PriceListId.eq(list.id))
        .filter(items::Column::VariantId.is_in(variants.iter().copied()))
        .all(&**tx)
        .await?
        .into_iter()
        .map(|i| (i.variant_id, i.price_minor))
        .collect())
}
