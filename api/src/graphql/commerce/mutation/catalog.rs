//! Commerce's GraphQL mutations of the catalog.

use async_graphql::{Context, ID, Object};
use tianguis_domain::commerce::{catalog, price_lists, stock};

use crate::graphql::commerce::*;
use crate::graphql::common::{maybe, maybe_id, optional_id};
use crate::graphql::context::{deps, tenant};
use crate::graphql::error::{GqlResult, parse_id};
use crate::graphql::loaders::feed;

#[derive(Default)]
pub struct CatalogMutation;

#[Object]
impl CatalogMutation {
    async fn create_product_category(
        &self,
        ctx: &Context<'_>,
        input: CreateProductCategoryInput,
    ) -> async_graphql::Result<ProductCategory> {
        let parent = optional_id(input.parent_id.as_ref(), "parentId")?;
        Ok(ProductCategory(
            catalog::create_category(deps(ctx)?, tenant(ctx)?, &input.name, parent)
                .await
                .gql()?,
        ))
    }

    async fn update_product_category(
        &self,
        ctx: &Context<'_>,
        input: UpdateProductCategoryInput,
    ) -> async_graphql::Result<ProductCategory> {
        let id = parse_id(&input.id, "id")?;
        let parent = maybe_id(input.parent_id, "parentId")?;
        Ok(ProductCategory(
            catalog::update_category(deps(ctx)?, tenant(ctx)?, id, input.name, parent)
                .await
                .gql()?,
        ))
    }

    /// Deletes a category; its products stay, without it.
    async fn delete_product_category(
        &self,
        ctx: &Context<'_>,
        input: ByIdInput,
    ) -> async_graphql::Result<ID> {
        let id = parse_id(&input.id, "id")?;
        Ok(catalog::delete_category(deps(ctx)?, tenant(ctx)?, id)
            .await
            .gql()?
            .into())
    }

    async fn create_product(
        &self,
        ctx: &Context<'_>,
        input: CreateProductInput,
    ) -> async_graphql::Result<Product> {
        let product = catalog::ProductInput {
            name: Some(input.name),
            description: Some(input.description),
            kind: Some(input.kind.into()),
            unit: Some(input.unit.into()),
            category_id: Some(optional_id(input.category_id.as_ref(), "categoryId")?),
            sat_product_key: input.sat_product_key,
            sat_unit_key: input.sat_unit_key,
            tax: Some(input.tax.into()),
            ieps_rate: Some(input.ieps_rate),
            allow_backorder: Some(input.allow_backorder),
            status: None,
            option_names: Some(input.option_names),
        };
        let variants = input.variants.into_iter().map(variant_input).collect();
        let (product, variants) =
            catalog::create_product(deps(ctx)?, tenant(ctx)?, product, variants)
                .await
                .gql()?;
        feed::<crate::graphql::loaders::ProductVariantsLoader>(ctx, [(product.id, variants)])
            .await?;
        Ok(Product(product))
    }

    async fn update_product(
        &self,
        ctx: &Context<'_>,
        input: UpdateProductInput,
    ) -> async_graphql::Result<Product> {
        let id = parse_id(&input.id, "id")?;
        let product = catalog::ProductInput {
            name: input.name,
            description: maybe(input.description),
            kind: input.kind.map(Into::into),
            unit: input.unit.map(Into::into),
            category_id: maybe_id(input.category_id, "categoryId")?,
            sat_product_key: input.sat_product_key,
            sat_unit_key: input.sat_unit_key,
            tax: input.tax.map(Into::into),
            ieps_rate: maybe(input.ieps_rate),
            allow_backorder: input.allow_backorder,
            status: input.status.map(Into::into),
            option_names: None,
        };
        Ok(Product(
            catalog::update_product(deps(ctx)?, tenant(ctx)?, id, product)
                .await
                .gql()?,
        ))
    }

    async fn add_product_variant(
        &self,
        ctx: &Context<'_>,
        input: AddProductVariantInput,
    ) -> async_graphql::Result<ProductVariant> {
        let product = parse_id(&input.product_id, "productId")?;
        Ok(ProductVariant(
            catalog::add_variant(
                deps(ctx)?,
                tenant(ctx)?,
                product,
                variant_input(input.variant),
            )
            .await
            .gql()?,
        ))
    }

    async fn update_product_variant(
        &self,
        ctx: &Context<'_>,
        input: UpdateProductVariantInput,
    ) -> async_graphql::Result<ProductVariant> {
        let id = parse_id(&input.id, "id")?;
        let variant = catalog::VariantInput {
            sku: input.sku,
            barcode: maybe(input.barcode),
            option_values: input.option_values,
            price: input.price,
            cost: None,
            low_stock_threshold: maybe(input.low_stock_threshold),
            active: input.active,
        };
        Ok(ProductVariant(
            catalog::update_variant(deps(ctx)?, tenant(ctx)?, id, variant)
                .await
                .gql()?,
        ))
    }

    async fn create_price_list(
        &self,
        ctx: &Context<'_>,
        input: CreatePriceListInput,
    ) -> async_graphql::Result<PriceList> {
        let (deps, ctx) = (deps(ctx)?, tenant(ctx)?);
        let list = price_lists::create(deps, ctx, &input.name, input.contact_tag.as_deref())
            .await
            .gql()?;
        Ok(PriceList(list, stock::currency(deps, ctx).await.gql()?))
    }

    async fn update_price_list(
        &self,
        ctx: &Context<'_>,
        input: UpdatePriceListInput,
    ) -> async_graphql::Result<PriceList> {
        let id = parse_id(&input.id, "id")?;
        let (deps, ctx) = (deps(ctx)?, tenant(ctx)?);
        let list = price_lists::update(
            deps,
            ctx,
            id,
            input.name,
            maybe(input.contact_tag),
            input.active,
        )
        .await
        .gql()?;
        Ok(PriceList(list, stock::currency(deps, ctx).await.gql()?))
    }

    /// Sets or removes prices on a list, all in one step.
    async fn set_price_list_prices(
        &self,
        ctx: &Context<'_>,
        input: SetPriceListPricesInput,
    ) -> async_graphql::Result<PriceList> {
        let id = parse_id(&input.id, "id")?;
        let prices = input
            .prices
            .into_iter()
            .map(|p| {
                Ok(price_lists::PriceInput {
                    variant_id: parse_id(&p.variant_id, "variantId")?,
                    price: p.price,
                })
            })
            .collect::<async_graphql::Result<_>>()?;
        let (deps, ctx) = (deps(ctx)?, tenant(ctx)?);
        let list = price_lists::set_prices(deps, ctx, id, prices).await.gql()?;
        Ok(PriceList(list, stock::currency(deps, ctx).await.gql()?))
    }
}

fn variant_input(v: ProductVariantInput) -> catalog::VariantInput {
    catalog::VariantInput {
        sku: Some(v.sku),
        barcode: Some(v.barcode),
        option_values: Some(v.option_values),
        price: Some(v.price),
        cost: v.cost,
        low_stock_threshold: Some(v.low_stock_threshold),
        active: None,
    }
}
