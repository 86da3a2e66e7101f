//! The catalog: categories, products (goods and services) and their variants, each with its
//! own SKU, barcode, price and average cost.

use std::collections::HashMap;

use rust_decimal::Decimal;
use sea_orm::{
    ActiveValue::Set, ColumnTrait, ConnectionTrait, EntityTrait, PaginatorTrait, QueryFilter,
    QueryOrder, TryIntoModel,
};
use tianguis_entity::commerce::{product_categories as categories, product_variants, products};
use tianguis_kernel::pricing::{Tax, stored_decimal};
use tianguis_kernel::rules::{money_minor, optional_text, required_text};
use uuid::Uuid;

use crate::amounts::{self, Unit};
use crate::db::{TenantTx, stamped, tenant_region};
use crate::error::conflict_on;
use crate::page::{Page, PageRequest, SortDirection, paginate};
use crate::{Deps, Error, Permission, Result, TenantCtx, audit, search};

pub use categories::Model as Category;
pub use product_variants::Model as Variant;
pub use products::Model as Product;

/// Products a plan includes.
pub const PRODUCTS: crate::plans::Resource = crate::plans::Resource {
    noun: "products",
    free: 100,
    pro: 20_000,
    count: |tx| Box::pin(async move { Ok(tx.select::<products::Entity>().count(&**tx).await?) }),
};

/// Variants one product may have (a clothing line's sizes × colours fits easily).
pub const MAX_VARIANTS: usize = 100;

tianguis_kernel::stored_enum! {
    pub enum ProductKind {
        /// Kept in stock and counted.
        Good = "good",
        /// Sold without stock (a haircut, a delivery).
        Service = "service",
    }
}

tianguis_kernel::stored_enum! {
    pub enum ProductStatus {
        Active = "active",
        /// Kept for history; not sold.
        Archived = "archived",
    }
}

/// Reading the catalog is for whoever sees commerce or sells at a till.
pub(crate) fn require_catalog_read(ctx: &TenantCtx) -> Result<()> {
    ctx.require(Permission::CommerceRead)
        .or_else(|_| ctx.require(Permission::PosOperate))
}

// ---- categories ----

pub async fn create_category(
    deps: &Deps,
    ctx: &TenantCtx,
    name: &str,
    parent_id: Option<Uuid>,
) -> Result<Category> {
    ctx.require(Permission::CommerceWrite)?;
    let name = required_text(name, "name", 80)?;
    let mut tx = TenantTx::begin(deps, ctx.tenant_id).await?;
    if let Some(parent) = parent_id {
        tx.get::<categories::Entity>(parent, "category")
            .await
            .map_err(|_| Error::invalid("parentId", "no such category"))?;
    }
    let category = tx
        .insert(categories::ActiveModel {
            id: Set(Uuid::now_v7()),
            tenant_id: Set(ctx.tenant_id),
            name: Set(name),
            parent_id: Set(parent_id),
            ..Default::default()
        })
        .await
        .map_err(category_name_taken)?;
    audit::record(
        &mut tx,
        ctx,
        "commerce.category.created",
        ("category", Some(category.id)),
        serde_json::json!({ "name": category.name }),
    )
    .await?;
    tx.commit().await?;
    Ok(category)
}

fn category_name_taken(e: sea_orm::DbErr) -> Error {
    conflict_on(
        e,
        "ux_product_categories_name",
        "product_categories.tenant_id, product_categories.name",
        "name",
        "a category with this name exists",
    )
}

pub async fn update_category(
    deps: &Deps,
    ctx: &TenantCtx,
    id: Uuid,
    name: Option<String>,
    parent_id: Option<Option<Uuid>>,
) -> Result<Category> {
    ctx.require(Permission::CommerceWrite)?;
    let mut tx = TenantTx::begin(deps, ctx.tenant_id).await?;
    let mut model: categories::ActiveModel =
        tx.get::<categories::Entity>(id, "category").await?.into();
    if let Some(name) = name {
        model.name = Set(required_text(&name, "name", 80)?);
    }
    if let Some(parent) = parent_id {
        if let Some(parent) = parent {
            ensure_not_own_ancestor(&tx, id, parent).await?;
        }
        model.parent_id = Set(parent);
    }
    let category = tx.update(model).await.map_err(category_name_taken)?;
    audit::record(
        &mut tx,
        ctx,
        "commerce.category.updated",
        ("category", Some(category.id)),
        serde_json::json!({ "name": category.name }),
    )
    .await?;
    tx.commit().await?;
    Ok(category)
}

/// A category cannot sit under itself or under one of its own subcategories.
async fn ensure_not_own_ancestor(tx: &TenantTx, id: Uuid, parent: Uuid) -> Result<()> {
    let all: HashMap<Uuid, Option<Uuid>> = tx
        .select::<categories::Entity>()
        .all(&**tx)
        .await?
        .into_iter()
        .map(|c| (c.id, c.parent_id))
        .collect();
    if !all.contains_key(&parent) {
        return Err(Error::invalid("parentId", "no such category"));
    }
    let mut at = Some(parent);
    while let Some(current) = at {
        if current == id {
            return Err(Error::invalid(
                "parentId",
                "a category cannot sit under itself or its subcategories",
            ));
        }
        at = all.get(&current).copied().flatten();
    }
    Ok(())
}

/// Deletes a category; its products and subcategories stay, without it.
pub async fn delete_category(deps: &Deps, ctx: &TenantCtx, id: Uuid) -> Result<Uuid> {
    ctx.require(Permission::CommerceWrite)?;
    let mut tx = TenantTx::begin(deps, ctx.tenant_id).await?;
    let category = tx.get::<categories::Entity>(id, "category").await?;
    categories::Entity::delete_by_id(category.id)
        .exec(&*tx)
        .await?;
    audit::record(
        &mut tx,
        ctx,
        "commerce.category.deleted",
        ("category", Some(category.id)),
        serde_json::json!({ "name": category.name }),
    )
    .await?;
    tx.commit().await?;
    Ok(category.id)
}

pub async fn list_categories(deps: &Deps, ctx: &TenantCtx) -> Result<Vec<Category>> {
    require_catalog_read(ctx)?;
    let tx = TenantTx::begin(deps, ctx.tenant_id).await?;
    let found = tx
        .select::<categories::Entity>()
        .order_by_asc(categories::Column::Name)
        .all(&*tx)
        .await?;
    tx.commit().await?;
    Ok(found)
}

pub async fn categories_by_ids(
    deps: &Deps,
    ctx: &TenantCtx,
    ids: &[Uuid],
) -> Result<HashMap<Uuid, Category>> {
    require_catalog_read(ctx)?;
    let tx = TenantTx::begin(deps, ctx.tenant_id).await?;
    let found = tx.get_many::<categories::Entity>(ids).await?;
    tx.commit().await?;
    Ok(found)
}

// ---- products ----

/// A product's fields; `None` leaves a field as it is (or takes its default on creation).
#[derive(Clone, Debug, Default)]
pub struct ProductInput {
    pub name: Option<String>,
    pub description: Option<Option<String>>,
    pub kind: Option<ProductKind>,
    pub unit: Option<Unit>,
    pub category_id: Option<Option<Uuid>>,
    pub sat_product_key: Option<String>,
    pub sat_unit_key: Option<String>,
    pub tax: Option<Tax>,
    pub ieps_rate: Option<Option<Decimal>>,
    pub allow_backorder: Option<bool>,
    pub status: Option<ProductStatus>,
    pub option_names: Option<Vec<String>>,
}

/// A variant's fields; `None` leaves a field as it is.
#[derive(Clone, Debug, Default)]
pub struct VariantInput {
    pub sku: Option<String>,
    pub barcode: Option<Option<String>>,
    pub option_values: Option<Vec<String>>,
    pub price: Option<Decimal>,
    pub cost: Option<Decimal>,
    pub low_stock_threshold: Option<Option<Decimal>>,
    pub active: Option<bool>,
}

/// SAT's generic product key, for a product whose own key is not known yet.
const GENERIC_SAT_PRODUCT_KEY: &str = "01010101";
/// SAT's unit key for a service.
const SERVICE_SAT_UNIT_KEY: &str = "E48";

async fn apply_product(
    tx: &TenantTx,
    model: &mut products::ActiveModel,
    input: ProductInput,
) -> Result<()> {
    if let Some(name) = input.name {
        model.name = Set(required_text(&name, "name", 160)?);
    }
    if let Some(description) = input.description {
        model.description = Set(optional_text(description.as_deref(), "description", 4_000)?);
    }
    if let Some(kind) = input.kind {
        model.kind = Set(kind.key().into());
        model.track_stock = Set(kind == ProductKind::Good);
    }
    if let Some(unit) = input.unit {
        model.unit = Set(unit.key().into());
    }
    if let Some(category) = input.category_id {
        if let Some(id) = category {
            tx.get::<categories::Entity>(id, "category")
                .await
                .map_err(|_| Error::invalid("categoryId", "no such category"))?;
        }
        model.category_id = Set(category);
    }
    if let Some(key) = input.sat_product_key {
        model.sat_product_key = Set(amounts::sat_product_key(&key, "satProductKey")?);
    }
    if let Some(key) = input.sat_unit_key {
        model.sat_unit_key = Set(amounts::sat_unit_key(&key, "satUnitKey")?);
    }
    if let Some(tax) = input.tax {
        model.tax = Set(tax.key().into());
    }
    if let Some(rate) = input.ieps_rate {
        model.ieps_rate = Set(rate
            .map(|r| amounts::ieps_rate(r, "iepsRate").map(stored_decimal))
            .transpose()?);
    }
    if let Some(allow) = input.allow_backorder {
        model.allow_backorder = Set(allow);
    }
    if let Some(status) = input.status {
        model.status = Set(status.key().into());
    }
    if let Some(names) = input.option_names {
        let names: Vec<String> = names
            .iter()
            .map(|n| required_text(n, "optionNames", 40))
            .collect::<Result<_>>()?;
        if names.len() > 3 {
            return Err(Error::invalid("optionNames", "at most 3 options"));
        }
        model.option_names = Set(serde_json::json!(names));
    }
    Ok(())
}

/// The product's unit as stored.
pub fn unit_of(product: &Product) -> Result<Unit> {
    Unit::from_stored(&product.unit)
}

pub fn option_names_of(product: &Product) -> Vec<String> {
    tianguis_kernel::rules::tags_of(&product.option_names)
}

pub fn option_values_of(variant: &Variant) -> Vec<String> {
    tianguis_kernel::rules::tags_of(&variant.option_values)
}

/// The IEPS rate a product carries, if any.
pub fn ieps_of(product: &Product) -> Result<Option<Decimal>> {
    product
        .ieps_rate
        .as_deref()
        .map(|r| {
            r.parse::<Decimal>()
                .map_err(|e| Error::Unexpected(anyhow::anyhow!("stored IEPS {r:?}: {e}")))
        })
        .transpose()
}

fn variant_search_text(
    product: &str,
    sku: &str,
    barcode: Option<&str>,
    values: &[String],
) -> String {
    let values = values.join(" ");
    search::search_text(&[Some(product), Some(sku), barcode, Some(&values)])
}

fn apply_variant(
    model: &mut product_variants::ActiveModel,
    input: VariantInput,
    option_count: usize,
    currency: &str,
    unit: Unit,
) -> Result<()> {
    if let Some(sku) = input.sku {
        let sku = required_text(&sku, "sku", 64)?;
        if sku.chars().any(char::is_whitespace) {
            return Err(Error::invalid("sku", "a SKU has no spaces"));
        }
        model.sku = Set(sku);
    }
    if let Some(barcode) = input.barcode {
        model.barcode = Set(barcode
            .filter(|b| !b.trim().is_empty())
            .map(|b| amounts::barcode(&b, "barcode"))
            .transpose()?);
    }
    if let Some(values) = input.option_values {
        if values.len() != option_count {
            return Err(Error::invalid(
                "optionValues",
                format!("the product has {option_count} options: give one value for each"),
            ));
        }
        let values: Vec<String> = values
            .iter()
            .map(|v| required_text(v, "optionValues", 40))
            .collect::<Result<_>>()?;
        model.option_values = Set(serde_json::json!(values));
    }
    if let Some(price) = input.price {
        model.price_minor = Set(money_minor(price, currency, "price")?);
    }
    if let Some(cost) = input.cost {
        model.cost_minor = Set(money_minor(cost, currency, "cost")?);
    }
    if let Some(threshold) = input.low_stock_threshold {
        model.low_stock_milli = Set(threshold
            .map(|t| {
                if t.is_zero() {
                    Ok(0)
                } else {
                    amounts::quantity_milli(t, unit, "lowStockThreshold")
                }
            })
            .transpose()?);
    }
    if let Some(active) = input.active {
        model.active = Set(active);
    }
    Ok(())
}

fn variant_taken(e: sea_orm::DbErr) -> Error {
    match e.sql_err() {
        Some(sea_orm::SqlErr::UniqueConstraintViolation(detail)) if detail.contains("barcode") => {
            Error::conflict("barcode", "another variant has this barcode")
        }
        _ => conflict_on(
            e,
            "ux_product_variants_sku",
            "product_variants.tenant_id, product_variants.sku",
            "sku",
            "another variant has this SKU",
        ),
    }
}

fn new_variant(tenant_id: Uuid, product_id: Uuid, currency: &str) -> product_variants::ActiveModel {
    product_variants::ActiveModel {
        id: Set(Uuid::now_v7()),
        tenant_id: Set(tenant_id),
        product_id: Set(product_id),
        sku: Set(String::new()),
        barcode: Set(None),
        option_values: Set(serde_json::json!([])),
        price_minor: Set(0),
        currency: Set(currency.to_owned()),
        cost_minor: Set(0),
        low_stock_milli: Set(None),
        active: Set(true),
        search_text: Set(String::new()),
        ..Default::default()
    }
}

/// Checks and completes a variant before it is written: it has a SKU and a price, and its
/// search text follows its codes.
fn finish_variant(model: &mut product_variants::ActiveModel, product: &Product) -> Result<()> {
    use crate::db::Current;
    let sku: String = model.sku.current()?;
    if sku.is_empty() {
        return Err(Error::invalid("sku", "sku is required"));
    }
    let barcode: Option<String> = model.barcode.current()?;
    let values: serde_json::Value = model.option_values.current()?;
    let values = tianguis_kernel::rules::tags_of(&values);
    if values.len() != option_names_of(product).len() {
        return Err(Error::invalid(
            "optionValues",
            "give one value for each of the product's options",
        ));
    }
    model.search_text = Set(variant_search_text(
        &product.name,
        &sku,
        barcode.as_deref(),
        &values,
    ));
    Ok(())
}

/// Creates a product with its variants (one, without options, for a simple product).
pub async fn create_product(
    deps: &Deps,
    ctx: &TenantCtx,
    input: ProductInput,
    variants: Vec<VariantInput>,
) -> Result<(Product, Vec<Variant>)> {
    ctx.require(Permission::CommerceWrite)?;
    if input.name.is_none() {
        return Err(Error::invalid("name", "name is required"));
    }
    if variants.is_empty() || variants.len() > MAX_VARIANTS {
        return Err(Error::invalid(
            "variants",
            format!("a product has 1 to {MAX_VARIANTS} variants"),
        ));
    }
    let mut tx = TenantTx::begin(deps, ctx.tenant_id).await?;
    crate::plans::ensure_room(&tx, &PRODUCTS).await?;
    let currency = tenant_region(&*tx, ctx.tenant_id).await?.currency;
    let kind = input.kind.unwrap_or(ProductKind::Good);
    let unit = input.unit.unwrap_or(Unit::Piece);
    let mut model = products::ActiveModel {
        id: Set(Uuid::now_v7()),
        tenant_id: Set(ctx.tenant_id),
        name: Set(String::new()),
        description: Set(None),
        kind: Set(kind.key().into()),
        unit: Set(unit.key().into()),
        category_id: Set(None),
        sat_product_key: Set(GENERIC_SAT_PRODUCT_KEY.into()),
        sat_unit_key: Set(match kind {
            ProductKind::Good => unit.sat_key().into(),
            ProductKind::Service => SERVICE_SAT_UNIT_KEY.into(),
        }),
        tax: Set(Tax::Iva16.key().into()),
        ieps_rate: Set(None),
        allow_backorder: Set(false),
        track_stock: Set(kind == ProductKind::Good),
        status: Set(ProductStatus::Active.key().into()),
        option_names: Set(serde_json::json!([])),
        search_text: Set(String::new()),
        ..Default::default()
    };
    apply_product(&tx, &mut model, input).await?;
    let mut product = stamped(tx.now(), model).try_into_model()?;
    let mut rows = Vec::with_capacity(variants.len());
    for variant in variants {
        let mut row = new_variant(ctx.tenant_id, product.id, &currency);
        apply_variant(
            &mut row,
            variant,
            option_names_of(&product).len(),
            &currency,
            unit_of(&product)?,
        )?;
        finish_variant(&mut row, &product)?;
        rows.push(stamped(tx.now(), row).try_into_model()?);
    }
    product.search_text = product_search_text(&product, &rows);
    products::Entity::insert(products::ActiveModel::from(product.clone()))
        .exec_without_returning(&*tx)
        .await?;
    product_variants::Entity::insert_many(
        rows.iter()
            .cloned()
            .map(product_variants::ActiveModel::from),
    )
    .exec_without_returning(&*tx)
    .await
    .map_err(variant_taken)?;
    audit::record(
        &mut tx,
        ctx,
        "commerce.product.created",
        ("product", Some(product.id)),
        serde_json::json!({ "name": product.name, "variants": rows.len() }),
    )
    .await?;
    tx.commit().await?;
    Ok((product, rows))
}

/// A product is found by its name, description and every variant's codes.
fn product_search_text(product: &Product, variants: &[Variant]) -> String {
    let codes: Vec<&str> = variants
        .iter()
        .flat_map(|v| std::iter::once(v.sku.as_str()).chain(v.barcode.as_deref()))
        .collect();
    let codes = codes.join(" ");
    search::search_text(&[Some(&product.name), Some(&codes)])
}

/// Rewrites the search text of a product and its variants after a change to either.
async fn refresh_search_text(tx: &TenantTx, product: &Product) -> Result<()> {
    let variants = tx
        .select::<product_variants::Entity>()
        .filter(product_variants::Column::ProductId.eq(product.id))
        .all(&**tx)
        .await?;
    for variant in &variants {
        let text = variant_search_text(
            &product.name,
            &variant.sku,
            variant.barcode.as_deref(),
            &option_values_of(variant),
        );
        if text != variant.search_text {
            product_variants::Entity::update_many()
                .col_expr(
                    product_variants::Column::SearchText,
                    sea_orm::sea_query::Expr::value(text),
                )
                .filter(product_variants::Column::Id.eq(variant.id))
                .exec(&**tx)
                .await?;
        }
    }
    let text = product_search_text(product, &variants);
    if text != product.search_text {
        products::Entity::update_many()
            .col_expr(
                products::Column::SearchText,
                sea_orm::sea_query::Expr::value(text),
            )
            .filter(products::Column::Id.eq(product.id))
            .exec(&**tx)
            .await?;
    }
    Ok(())
}

pub async fn update_product(
    deps: &Deps,
    ctx: &TenantCtx,
    id: Uuid,
    input: ProductInput,
) -> Result<Product> {
    ctx.require(Permission::CommerceWrite)?;
    let mut tx = TenantTx::begin(deps, ctx.tenant_id).await?;
    let before = tx.get::<products::Entity>(id, "product").await?;
    if input.option_names.is_some() {
        return Err(Error::invalid(
            "optionNames",
            "a product's options are fixed when it is created",
        ));
    }
    if (input.unit.is_some() || input.kind.is_some()) && has_movements(&tx, id).await? {
        // Stock already counted in one unit cannot be reread in another.
        return Err(Error::invalid(
            if input.unit.is_some() { "unit" } else { "kind" },
            "unit and kind are fixed once the product has stock movements; archive it and create another",
        ));
    }
    let mut model: products::ActiveModel = before.into();
    apply_product(&tx, &mut model, input).await?;
    let product = tx.update(model).await?;
    refresh_search_text(&tx, &product).await?;
    audit::record(
        &mut tx,
        ctx,
        "commerce.product.updated",
        ("product", Some(product.id)),
        serde_json::json!({ "name": product.name, "status": product.status }),
    )
    .await?;
    tx.commit().await?;
    Ok(product)
}

async fn has_movements(tx: &TenantTx, product_id: Uuid) -> Result<bool> {
    use tianguis_entity::commerce::stock_movements as movements;
    let variants = tx
        .select::<product_variants::Entity>()
        .filter(product_variants::Column::ProductId.eq(product_id))
        .all(&**tx)
        .await?;
    let moved = tx
        .select::<movements::Entity>()
        .filter(movements::Column::VariantId.is_in(variants.iter().map(|v| v.id)))
        .count(&**tx)
        .await?;
    Ok(moved > 0)
}

pub async fn add_variant(
    deps: &Deps,
    ctx: &TenantCtx,
    product_id: Uuid,
    input: VariantInput,
) -> Result<Variant> {
    ctx.require(Permission::CommerceWrite)?;
    let mut tx = TenantTx::begin(deps, ctx.tenant_id).await?;
    let product = tx.get::<products::Entity>(product_id, "product").await?;
    let count = tx
        .select::<product_variants::Entity>()
        .filter(product_variants::Column::ProductId.eq(product.id))
        .count(&*tx)
        .await?;
    if count as usize >= MAX_VARIANTS {
        return Err(Error::invalid(
            "productId",
            format!("a product has at most {MAX_VARIANTS} variants"),
        ));
    }
    let currency = tenant_region(&*tx, ctx.tenant_id).await?.currency;
    let mut row = new_variant(ctx.tenant_id, product.id, &currency);
    apply_variant(
        &mut row,
        input,
        option_names_of(&product).len(),
        &currency,
        unit_of(&product)?,
    )?;
    finish_variant(&mut row, &product)?;
    let variant = tx.insert(row).await.map_err(variant_taken)?;
    refresh_search_text(&tx, &product).await?;
    audit::record(
        &mut tx,
        ctx,
        "commerce.variant.created",
        ("product", Some(product.id)),
        serde_json::json!({ "variantId": variant.id, "sku": variant.sku }),
    )
    .await?;
    tx.commit().await?;
    Ok(variant)
}

pub async fn update_variant(
    deps: &Deps,
    ctx: &TenantCtx,
    id: Uuid,
    input: VariantInput,
) -> Result<Variant> {
    ctx.require(Permission::CommerceWrite)?;
    let mut tx = TenantTx::begin(deps, ctx.tenant_id).await?;
    let variant = tx.get::<product_variants::Entity>(id, "variant").await?;
    let product = tx
        .get::<products::Entity>(variant.product_id, "product")
        .await?;
    let currency = variant.currency.clone();
    let mut row: product_variants::ActiveModel = variant.into();
    apply_variant(
        &mut row,
        input,
        option_names_of(&product).len(),
        &currency,
        unit_of(&product)?,
    )?;
    finish_variant(&mut row, &product)?;
    let variant = tx.update(row).await.map_err(variant_taken)?;
    refresh_search_text(&tx, &product).await?;
    audit::record(
        &mut tx,
        ctx,
        "commerce.variant.updated",
        ("product", Some(product.id)),
        serde_json::json!({ "variantId": variant.id, "sku": variant.sku }),
    )
    .await?;
    tx.commit().await?;
    Ok(variant)
}

pub async fn get_product(deps: &Deps, ctx: &TenantCtx, id: Uuid) -> Result<Product> {
    require_catalog_read(ctx)?;
    let tx = TenantTx::begin(deps, ctx.tenant_id).await?;
    let product = tx.get::<products::Entity>(id, "product").await?;
    tx.commit().await?;
    Ok(product)
}

#[derive(Clone, Debug, Default)]
pub struct ProductFilter {
    /// Words of the name, or a SKU or barcode.
    pub search: Option<String>,
    pub category_id: Option<Uuid>,
    pub status: Option<ProductStatus>,
}

pub async fn list_products(
    deps: &Deps,
    ctx: &TenantCtx,
    filter: ProductFilter,
    page: &PageRequest,
) -> Result<Page<Product>> {
    require_catalog_read(ctx)?;
    let tx = TenantTx::begin(deps, ctx.tenant_id).await?;
    let backend = tx.get_database_backend();
    let mut select = tx.select::<products::Entity>();
    if let Some(text) = filter.search.as_deref().filter(|t| !t.trim().is_empty()) {
        select = select.filter(search::like(
            backend,
            "products",
            "search_text",
            &search::contains_pattern(text),
        ));
    }
    if let Some(category) = filter.category_id {
        select = select.filter(products::Column::CategoryId.eq(category));
    }
    if let Some(status) = filter.status {
        select = select.filter(products::Column::Status.eq(status.key()));
    }
    let page = paginate(
        &*tx,
        select,
        products::Column::Id,
        SortDirection::Desc,
        page,
    )
    .await?;
    tx.commit().await?;
    Ok(page)
}

pub async fn products_by_ids(
    deps: &Deps,
    ctx: &TenantCtx,
    ids: &[Uuid],
) -> Result<HashMap<Uuid, Product>> {
    require_catalog_read(ctx)?;
    let tx = TenantTx::begin(deps, ctx.tenant_id).await?;
    let found = tx.get_many::<products::Entity>(ids).await?;
    tx.commit().await?;
    Ok(found)
}

pub async fn variants_by_ids(
    deps: &Deps,
    ctx: &TenantCtx,
    ids: &[Uuid],
) -> Result<HashMap<Uuid, Variant>> {
    require_catalog_read(ctx)?;
    let tx = TenantTx::begin(deps, ctx.tenant_id).await?;
    let found = tx.get_many::<product_variants::Entity>(ids).await?;
    tx.commit().await?;
    Ok(found)
}

/// Each product's variants, oldest first: one statement per batch.
pub async fn variants_of(
    deps: &Deps,
    ctx: &TenantCtx,
    product_ids: &[Uuid],
) -> Result<HashMap<Uuid, Vec<Variant>>> {
    require_catalog_read(ctx)?;
    let tx = TenantTx::begin(deps, ctx.tenant_id).await?;
    let rows = tx
        .select::<product_variants::Entity>()
        .filter(product_variants::Column::ProductId.is_in(product_ids.iter().copied()))
        .order_by_asc(product_variants::Column::Id)
        .all(&*tx)
        .await?;
    tx.commit().await?;
    Ok(crate::page::group_by(rows, |row| Some(row.product_id)))
}

/// The variant a till scans or types: its barcode or its SKU, exactly.
pub async fn variant_by_code(deps: &Deps, ctx: &TenantCtx, code: &str) -> Result<Variant> {
    require_catalog_read(ctx)?;
    let tx = TenantTx::begin(deps, ctx.tenant_id).await?;
    let found = find_by_codes(&tx, &[code.trim().to_owned()]).await?;
    tx.commit().await?;
    found.into_values().next().ok_or(Error::NotFound("variant"))
}

/// Variants by barcode or SKU, keyed by the code given.
async fn find_by_codes(tx: &TenantTx, codes: &[String]) -> Result<HashMap<String, Variant>> {
    if codes.is_empty() {
        return Ok(HashMap::new());
    }
    let rows = tx
        .select::<product_variants::Entity>()
        .filter(
            sea_orm::Condition::any()
                .add(product_variants::Column::Barcode.is_in(codes.iter().cloned()))
                .add(product_variants::Column::Sku.is_in(codes.iter().cloned())),
        )
        .all(&**tx)
        .await?;
    let mut found = HashMap::new();
    for code in codes {
        // A barcode wins over a SKU that happens to be the same digits.
        let hit = rows
            .iter()
            .find(|v| v.barcode.as_deref() == Some(code.as_str()))
            .or_else(|| rows.iter().find(|v| v.sku == *code));
        if let Some(v) = hit {
            found.insert(code.clone(), v.clone());
        }
    }
    Ok(found)
}

/// The variant each line names, by id or by a barcode or SKU as scanned or typed, in the
/// lines' order; codes are looked up in one statement.
pub(crate) async fn resolve_variants<'a>(
    tx: &TenantTx,
    named: impl Iterator<Item = (Option<Uuid>, Option<&'a str>)> + Clone,
) -> Result<Vec<Uuid>> {
    let each_names = || Error::invalid("lines", "each line names a variantId or a code");
    let codes: Vec<String> = named
        .clone()
        .filter(|(id, _)| id.is_none())
        .map(|(_, code)| {
            code.map(str::trim)
                .filter(|c| !c.is_empty())
                .map(str::to_owned)
                .ok_or_else(each_names)
        })
        .collect::<Result<_>>()?;
    let by_code = find_by_codes(tx, &codes).await?;
    named
        .map(|(id, code)| match (id, code) {
            (Some(id), _) => Ok(id),
            (None, Some(code)) => by_code
                .get(code.trim())
                .map(|v| v.id)
                .ok_or_else(|| Error::invalid("code", format!("nothing sold has the code {code}"))),
            (None, None) => Err(each_names()),
        })
        .collect()
}
