//! Commerce's GraphQL inputs.

use async_graphql::{ID, InputObject, MaybeUndefined};
use chrono::{DateTime, Utc};
use rust_decimal::Decimal;

use crate::graphql::commerce::*;
use crate::graphql::crm::TaxRate;

#[derive(InputObject)]
pub struct CreateProductCategoryInput {
    pub name: String,
    pub parent_id: Option<ID>,
}

#[derive(InputObject)]
pub struct UpdateProductCategoryInput {
    pub id: ID,
    pub name: Option<String>,
    pub parent_id: MaybeUndefined<ID>,
}

#[derive(InputObject)]
pub struct ByIdInput {
    pub id: ID,
}

#[derive(InputObject)]
pub struct ProductVariantInput {
    pub sku: String,
    /// EAN-13, EAN-8 or UPC-A; the check digit is verified.
    pub barcode: Option<String>,
    /// One value per product option, in order.
    #[graphql(default)]
    pub option_values: Vec<String>,
    /// To the public, taxes included.
    pub price: Decimal,
    /// Starting cost; receipts keep the average from then on.
    pub cost: Option<Decimal>,
    pub low_stock_threshold: Option<Decimal>,
}

#[derive(InputObject)]
pub struct CreateProductInput {
    pub name: String,
    pub description: Option<String>,
    #[graphql(default_with = "ProductKind::Good")]
    pub kind: ProductKind,
    #[graphql(default_with = "ProductUnit::Piece")]
    pub unit: ProductUnit,
    pub category_id: Option<ID>,
    /// SAT's ClaveProdServ; 01010101 until known.
    pub sat_product_key: Option<String>,
    /// SAT's ClaveUnidad; taken from the unit when absent.
    pub sat_unit_key: Option<String>,
    #[graphql(default_with = "TaxRate::Iva16")]
    pub tax: TaxRate,
    /// IEPS as a fraction (0.265 for beer).
    pub ieps_rate: Option<Decimal>,
    #[graphql(default)]
    pub allow_backorder: bool,
    /// Option names the variants give values for (Talla, Color); at most 3.
    #[graphql(default)]
    pub option_names: Vec<String>,
    /// At least one; a simple product has one without option values.
    pub variants: Vec<ProductVariantInput>,
}

#[derive(InputObject)]
pub struct UpdateProductInput {
    pub id: ID,
    pub name: Option<String>,
    pub description: MaybeUndefined<String>,
    pub kind: Option<ProductKind>,
    pub unit: Option<ProductUnit>,
    pub category_id: MaybeUndefined<ID>,
    pub sat_product_key: Option<String>,
    pub sat_unit_key: Option<String>,
    pub tax: Option<TaxRate>,
    pub ieps_rate: MaybeUndefined<Decimal>,
    pub allow_backorder: Option<bool>,
    /// ARCHIVED takes it off sale and keeps its history.
    pub status: Option<ProductStatus>,
}

#[derive(InputObject)]
pub struct AddProductVariantInput {
    pub product_id: ID,
    pub variant: ProductVariantInput,
}

#[derive(InputObject)]
pub struct UpdateProductVariantInput {
    pub id: ID,
    pub sku: Option<String>,
    pub barcode: MaybeUndefined<String>,
    pub option_values: Option<Vec<String>>,
    pub price: Option<Decimal>,
    pub low_stock_threshold: MaybeUndefined<Decimal>,
    pub active: Option<bool>,
}

#[derive(InputObject, Default)]
pub struct ProductFilter {
    /// Words of the name, or a SKU or barcode.
    pub search: Option<String>,
    pub category_id: Option<ID>,
    pub status: Option<ProductStatus>,
}

#[derive(InputObject)]
pub struct CreateStockLocationInput {
    pub name: String,
    #[graphql(default_with = "StockLocationKind::Store")]
    pub kind: StockLocationKind,
    /// Who hears of low stock here.
    #[graphql(default)]
    pub alert_emails: Vec<String>,
}

#[derive(InputObject)]
pub struct UpdateStockLocationInput {
    pub id: ID,
    pub name: Option<String>,
    pub kind: Option<StockLocationKind>,
    pub alert_emails: Option<Vec<String>>,
    pub active: Option<bool>,
}

#[derive(InputObject)]
pub struct ReceiptLineInput {
    pub variant_id: ID,
    pub quantity: Decimal,
    /// Paid per unit; the variant's average cost takes it in.
    pub unit_cost: Decimal,
}

#[derive(InputObject)]
pub struct ReceiveStockInput {
    pub location_id: ID,
    pub lines: Vec<ReceiptLineInput>,
    pub reason: Option<String>,
}

#[derive(InputObject)]
pub struct AdjustStockInput {
    pub location_id: ID,
    pub variant_id: ID,
    /// Signed: what to add (or, negative, take away).
    pub quantity: Decimal,
    pub reason: String,
}

#[derive(InputObject)]
pub struct RecordWasteInput {
    pub location_id: ID,
    pub variant_id: ID,
    /// How much was lost.
    pub quantity: Decimal,
    pub reason: String,
}

#[derive(InputObject)]
pub struct TransferLineInput {
    pub variant_id: ID,
    pub quantity: Decimal,
}

#[derive(InputObject)]
pub struct TransferStockInput {
    pub from_location_id: ID,
    pub to_location_id: ID,
    pub lines: Vec<TransferLineInput>,
    pub reason: Option<String>,
}

#[derive(InputObject, Default)]
pub struct StockLevelFilter {
    pub location_id: Option<ID>,
    pub variant_id: Option<ID>,
    /// Only levels below their variant's low-stock threshold.
    #[graphql(default)]
    pub low_only: bool,
}

#[derive(InputObject, Default)]
pub struct StockMovementFilter {
    pub variant_id: Option<ID>,
    pub location_id: Option<ID>,
    pub kind: Option<StockMovementKind>,
    /// The ticket or transfer.
    pub reference_id: Option<ID>,
}

#[derive(InputObject)]
pub struct CreateRegisterInput {
    pub name: String,
    pub location_id: ID,
}

#[derive(InputObject)]
pub struct UpdateRegisterInput {
    pub id: ID,
    pub name: Option<String>,
    pub active: Option<bool>,
}

#[derive(InputObject)]
pub struct OpenCashSessionInput {
    pub register_id: ID,
    /// The cash in the drawer at the start.
    pub opening_float: Decimal,
}

#[derive(InputObject)]
pub struct MethodAmountInput {
    pub method: PaymentMethod,
    pub amount: Decimal,
}

#[derive(InputObject)]
pub struct CloseCashSessionInput {
    pub id: ID,
    /// What was counted per method (cash in the drawer, card vouchers, transfers).
    pub counted: Vec<MethodAmountInput>,
    pub note: Option<String>,
}

#[derive(InputObject, Default)]
pub struct CashSessionFilter {
    pub register_id: Option<ID>,
    pub status: Option<CashSessionStatus>,
}

#[derive(InputObject)]
pub struct TicketLineInput {
    /// The variant, or else `code`.
    pub variant_id: Option<ID>,
    /// A barcode or SKU as scanned or typed.
    pub code: Option<String>,
    /// Whole for pieces; up to 3 decimals when weighed.
    pub quantity: Decimal,
    /// An amount off the line.
    pub discount: Option<Decimal>,
}

#[derive(InputObject)]
pub struct TicketPaymentInput {
    pub method: PaymentMethod,
    /// For cash, what the customer handed over: the change comes out of it.
    pub amount: Decimal,
    /// The terminal's or the bank's reference.
    pub reference: Option<String>,
    /// For PREPAID_CARD: the card's UID.
    pub card_uid: Option<String>,
}

#[derive(InputObject)]
pub struct CreateTicketInput {
    pub session_id: ID,
    /// The till's key for this sale (a UUID): sending it again returns the same ticket.
    pub idempotency_key: String,
    pub contact_id: Option<ID>,
    /// Wholesale or a customer group's prices; by default the list the contact's tags give.
    pub price_list_id: Option<ID>,
    pub lines: Vec<TicketLineInput>,
    pub payments: Vec<TicketPaymentInput>,
    pub note: Option<String>,
}

#[derive(InputObject)]
pub struct ReturnLineInput {
    /// The sale's line.
    pub line_id: ID,
    pub quantity: Decimal,
}

#[derive(InputObject)]
pub struct ReturnTicketInput {
    /// The sale.
    pub ticket_id: ID,
    /// The caller's open session, which pays the refund.
    pub session_id: ID,
    pub idempotency_key: String,
    pub lines: Vec<ReturnLineInput>,
    #[graphql(default_with = "PaymentMethod::Cash")]
    pub refund_method: PaymentMethod,
    pub reference: Option<String>,
    /// For a refund to a PREPAID_CARD: the card's UID.
    pub card_uid: Option<String>,
    /// False for damaged goods that do not go back on the shelf.
    #[graphql(default = true)]
    pub restock: bool,
    pub reason: Option<String>,
}

#[derive(InputObject, Default)]
pub struct TicketFilter {
    pub session_id: Option<ID>,
    pub register_id: Option<ID>,
    pub kind: Option<TicketKind>,
    pub from: Option<DateTime<Utc>>,
    pub to: Option<DateTime<Utc>>,
}

#[derive(InputObject)]
pub struct IssuePrepaidCardInput {
    /// The tag's UID or the QR's text.
    pub uid: String,
    pub contact_id: Option<ID>,
    pub label: Option<String>,
}

#[derive(InputObject)]
pub struct TopUpPrepaidCardInput {
    pub card_id: ID,
    /// The cashier's open session, whose drawer takes the money.
    pub session_id: ID,
    pub amount: Decimal,
    #[graphql(default_with = "PaymentMethod::Cash")]
    pub method: PaymentMethod,
    /// The till's id for this top-up: sending it again loads the card once.
    pub transaction_id: String,
}

#[derive(InputObject)]
pub struct PrepaidCardCheckoutInput {
    pub card_id: ID,
    /// What the holder loads, paid by card on Stripe's page.
    pub amount: Decimal,
}

#[derive(InputObject)]
pub struct BlockPrepaidCardInput {
    pub id: ID,
    /// An active card that takes the blocked card's balance.
    pub move_to_card_id: Option<ID>,
}

#[derive(InputObject)]
pub struct CreateSupplierInput {
    pub name: String,
    pub rfc: Option<String>,
    pub email: Option<String>,
    pub phone: Option<String>,
    pub contact_name: Option<String>,
    #[graphql(default)]
    pub payment_terms_days: i32,
}

#[derive(InputObject)]
pub struct UpdateSupplierInput {
    pub id: ID,
    pub name: Option<String>,
    pub rfc: MaybeUndefined<String>,
    pub email: MaybeUndefined<String>,
    pub phone: MaybeUndefined<String>,
    pub contact_name: MaybeUndefined<String>,
    pub payment_terms_days: Option<i32>,
    pub active: Option<bool>,
}

#[derive(InputObject)]
pub struct PurchaseOrderLineInput {
    pub variant_id: ID,
    pub quantity: Decimal,
    pub unit_cost: Decimal,
}

#[derive(InputObject)]
pub struct CreatePurchaseOrderInput {
    pub supplier_id: ID,
    /// Where the goods will be received.
    pub location_id: ID,
    pub lines: Vec<PurchaseOrderLineInput>,
    pub expected_on: Option<chrono::NaiveDate>,
    pub notes: Option<String>,
}

#[derive(InputObject)]
pub struct UpdatePurchaseOrderInput {
    pub id: ID,
    /// Replaces every line.
    pub lines: Option<Vec<PurchaseOrderLineInput>>,
    pub expected_on: MaybeUndefined<chrono::NaiveDate>,
    pub notes: MaybeUndefined<String>,
}

#[derive(InputObject)]
pub struct ReceivedLineInput {
    pub line_id: ID,
    pub quantity: Decimal,
    /// The cost on the supplier's invoice, when it differs from the order's.
    pub unit_cost: Option<Decimal>,
}

#[derive(InputObject)]
pub struct ReceivePurchaseOrderInput {
    pub id: ID,
    pub lines: Vec<ReceivedLineInput>,
}

#[derive(InputObject, Default)]
pub struct PurchaseOrderFilter {
    pub supplier_id: Option<ID>,
    pub status: Option<PurchaseOrderStatus>,
}

#[derive(InputObject)]
pub struct RecordSupplierPaymentInput {
    pub supplier_id: ID,
    pub purchase_order_id: Option<ID>,
    pub amount: Decimal,
    #[graphql(default_with = "PaymentMethod::Transfer")]
    pub method: PaymentMethod,
    pub reference: Option<String>,
    /// Today when absent.
    pub paid_on: Option<chrono::NaiveDate>,
}

#[derive(InputObject)]
pub struct StartStockCountInput {
    pub location_id: ID,
    pub note: Option<String>,
}

#[derive(InputObject)]
pub struct CountedLineInput {
    pub variant_id: ID,
    pub quantity: Decimal,
}

#[derive(InputObject)]
pub struct RecordStockCountInput {
    pub id: ID,
    /// Counting a variant again replaces its figure.
    pub lines: Vec<CountedLineInput>,
}

#[derive(InputObject)]
pub struct SalesOrderLineInput {
    pub variant_id: Option<ID>,
    /// A barcode or SKU, instead of variantId.
    pub code: Option<String>,
    pub quantity: Decimal,
    /// Off the line, taxes included.
    pub discount: Option<Decimal>,
}

#[derive(InputObject)]
pub struct DeliveryAddressInput {
    pub recipient: Option<String>,
    pub phone: Option<String>,
    pub street: String,
    /// Colonia.
    pub neighborhood: Option<String>,
    pub city: String,
    pub state: Option<String>,
    pub postal_code: Option<String>,
    /// ISO 3166 two-letter code.
    #[graphql(default_with = "\"MX\".to_owned()")]
    pub country: String,
    /// How to find it.
    pub directions: Option<String>,
}

#[derive(InputObject)]
pub struct CreateSalesOrderInput {
    /// Api unless a conversation is named (then inbox).
    pub source: Option<SalesOrderSource>,
    pub contact_id: Option<ID>,
    /// The conversation the order is taken in; its contact is the customer.
    pub conversation_id: Option<ID>,
    /// Where the stock is reserved and taken from; the first open store when absent.
    pub location_id: Option<ID>,
    /// Wholesale or a customer group's prices; by default the list the contact's tags give.
    pub price_list_id: Option<ID>,
    pub lines: Vec<SalesOrderLineInput>,
    /// Off the whole order, taxes included; shared over the lines.
    pub discount: Option<Decimal>,
    pub delivery_address: Option<DeliveryAddressInput>,
    pub notes: Option<String>,
}

#[derive(InputObject)]
pub struct UpdateSalesOrderInput {
    pub id: ID,
    pub contact_id: MaybeUndefined<ID>,
    /// Null goes back to the list the contact's tags give.
    pub price_list_id: MaybeUndefined<ID>,
    pub location_id: Option<ID>,
    /// Replaces every line.
    pub lines: Option<Vec<SalesOrderLineInput>>,
    pub discount: MaybeUndefined<Decimal>,
    pub delivery_address: MaybeUndefined<DeliveryAddressInput>,
    pub notes: MaybeUndefined<String>,
}

#[derive(InputObject)]
pub struct CancelSalesOrderInput {
    pub id: ID,
    pub reason: Option<String>,
}

#[derive(InputObject)]
pub struct ReturnSalesOrderLineInput {
    pub line_id: ID,
    pub quantity: Decimal,
}

#[derive(InputObject)]
pub struct ReturnSalesOrderInput {
    pub id: ID,
    pub lines: Vec<ReturnSalesOrderLineInput>,
    pub reason: Option<String>,
}

#[derive(InputObject)]
pub struct RecordSalesOrderPaymentInput {
    pub id: ID,
    pub amount: Decimal,
    pub method: SalesOrderPaymentMethod,
    /// The terminal's or the bank's reference.
    pub reference: Option<String>,
}

#[derive(InputObject)]
pub struct RefundSalesOrderInput {
    pub id: ID,
    pub amount: Decimal,
    /// How the money went back.
    pub method: SalesOrderPaymentMethod,
    pub reference: Option<String>,
    pub reason: String,
}

#[derive(InputObject, Default)]
pub struct SalesOrderFilter {
    pub status: Option<SalesOrderStatus>,
    pub source: Option<SalesOrderSource>,
    pub contact_id: Option<ID>,
    pub conversation_id: Option<ID>,
}

#[derive(InputObject)]
pub struct SendSalesOrderMessageInput {
    pub id: ID,
    /// An approved template of the conversation's channel.
    pub template_id: ID,
    /// The template's variables in order; `{number}`, `{customer}`, `{total}`, `{balance}`,
    /// `{status}` and `{checkoutUrl}` are filled from the order.
    #[graphql(default)]
    pub variables: Vec<String>,
}

#[derive(InputObject)]
pub struct CreatePriceListInput {
    pub name: String,
    /// Contacts with this tag buy at these prices.
    pub contact_tag: Option<String>,
}

#[derive(InputObject)]
pub struct UpdatePriceListInput {
    pub id: ID,
    pub name: Option<String>,
    pub contact_tag: MaybeUndefined<String>,
    pub active: Option<bool>,
}

#[derive(InputObject)]
pub struct PriceListPriceInput {
    pub variant_id: ID,
    /// Taxes included; null takes the variant off the list.
    pub price: Option<Decimal>,
}

#[derive(InputObject)]
pub struct SetPriceListPricesInput {
    pub id: ID,
    pub prices: Vec<PriceListPriceInput>,
}
