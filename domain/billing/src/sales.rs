//! Invoicing what commerce sells: a sales order, a ticket its customer invoices on the
//! public self-invoicing page, and the factura global that gathers every ticket nobody
//! invoiced, as SAT requires.
//!
//! Prices at the till include their taxes; a CFDI states each line before tax. IEPS is
//! not stated apart (it goes to the buyer only when they are an IEPS taxpayer and ask), so
//! a line's value before IVA is its base plus its IEPS.

use std::collections::{BTreeMap, HashMap};

use chrono::{Datelike, NaiveDate, TimeZone, Utc};
use rust_decimal::Decimal;
use tianguis_entity::commerce::product_variants;
use uuid::Uuid;

use super::catalogs::{PUBLIC_NAME, PUBLIC_RFC};
use super::cfdi::GlobalPeriod;
use super::fiscal;
use super::invoices::{self, Invoice, InvoiceInput, ItemInput, ReceiverInput};
use crate::commerce::{orders, pos};
use crate::db::TenantTx;
use crate::pricing::Tax;
use crate::rules::{from_minor, required_text};
use crate::{Deps, Error, Permission, Result, TenantCtx, audit};

/// Goods or services not classified: what a factura global's lines are.
const GLOBAL_PRODUCT_KEY: &str = "01010101";
/// Activity: SAT's unit for a factura global's lines.
const GLOBAL_UNIT_KEY: &str = "ACT";

/// A sold line, as a CFDI item: its quantity and its value before IVA, both net of what
/// came back.
struct Sold<'a> {
    product_id: Option<Uuid>,
    description: &'a str,
    sku: &'a str,
    product_key: &'a str,
    unit_key: &'a str,
    quantity_milli: i64,
    net_minor: i64,
    tax: Tax,
}

impl Sold<'_> {
    fn item(&self, currency: &str) -> ItemInput {
        let quantity = Decimal::new(self.quantity_milli, 3).normalize();
        let net = from_minor(self.net_minor, currency);
        // Six decimals bring quantity × price back to the net amount within a cent.
        let unit_price = (net / quantity).round_dp(6).normalize();
        ItemInput {
            product_id: self.product_id,
            product_key: Some(self.product_key.to_owned()),
            unit_key: Some(self.unit_key.to_owned()),
            sku: Some(self.sku.to_owned()),
            description: self.description.to_owned(),
            quantity,
            unit_price,
            discount: None,
            tax: self.tax,
            withholdings: Vec::new(),
        }
    }
}

/// What is left of a line once `returned_milli` of its `quantity_milli` came back.
fn kept(quantity_milli: i64, returned_milli: i64, amount: i64) -> i64 {
    crate::commerce::amounts::share(amount, quantity_milli - returned_milli, quantity_milli)
}

/// The product each variant belongs to.
async fn products_of(
    tx: &TenantTx,
    variants: impl Iterator<Item = Uuid>,
) -> Result<HashMap<Uuid, Uuid>> {
    let ids: Vec<Uuid> = variants.collect();
    Ok(tx
        .get_many::<product_variants::Entity>(&ids)
        .await?
        .into_iter()
        .map(|(id, v)| (id, v.product_id))
        .collect())
}

/// A sold line's CFDI item, net of what came back, or none when all of it came back; for
/// ticket lines and order lines alike, which share these fields.
macro_rules! sold_lines {
    ($lines:expr, $products:expr) => {
        $lines
            .iter()
            .filter(|l| l.returned_milli < l.quantity_milli)
            .map(|l| {
                Ok(Sold {
                    product_id: $products.get(&l.variant_id).copied(),
                    description: &l.description,
                    sku: &l.sku,
                    product_key: &l.sat_product_key,
                    unit_key: &l.sat_unit_key,
                    quantity_milli: l.quantity_milli - l.returned_milli,
                    net_minor: kept(
                        l.quantity_milli,
                        l.returned_milli,
                        l.base_minor + l.ieps_minor,
                    ),
                    tax: Tax::from_stored(&l.tax)?,
                })
            })
            .collect::<Result<Vec<_>>>()
    };
}

fn ticket_items<'a>(
    sale: &'a pos::Recorded,
    products: &HashMap<Uuid, Uuid>,
) -> Result<Vec<Sold<'a>>> {
    sold_lines!(sale.lines, products)
}

/// SAT's c_FormaPago for the method that took the most.
fn payment_form<'a>(paid: impl Iterator<Item = (&'a str, i64)>) -> &'static str {
    let mut by_method: BTreeMap<&str, i64> = BTreeMap::new();
    for (method, amount) in paid {
        *by_method.entry(method).or_default() += amount;
    }
    let largest = by_method
        .into_iter()
        .max_by_key(|(_, amount)| *amount)
        .map(|(method, _)| method);
    match largest {
        Some("cash") => "01",
        Some("transfer") => "03",
        // The business's own prepaid card works as an electronic purse.
        Some("prepaid_card") => "05",
        Some("card" | "stripe") => super::stripe::CARD,
        _ => "99",
    }
}

// ---- orders ----

/// Drafts the invoice of a sales order, once: its lines net of returns, PUE with the way
/// most of it was paid when paid in full, PPD otherwise. The receiver comes from the
/// order's contact (or their company) unless given.
pub async fn invoice_order(
    deps: &Deps,
    ctx: &TenantCtx,
    order_id: Uuid,
    receiver: Option<ReceiverInput>,
) -> Result<Invoice> {
    ctx.require(Permission::BillingInvoicesWrite)?;
    let mut tx = TenantTx::begin(deps, ctx.tenant_id).await?;
    let (order, lines, money) = orders::for_invoicing(&tx, order_id).await?;
    let status = orders::OrderStatus::from_stored(&order.status)?;
    if matches!(
        status,
        orders::OrderStatus::Draft | orders::OrderStatus::Cancelled | orders::OrderStatus::Returned
    ) {
        return Err(Error::conflict(
            "orderId",
            format!("a {} order is not invoiced", status.key()),
        ));
    }
    if order.invoice_id.is_some() {
        return Err(Error::conflict("orderId", "the order is invoiced already"));
    }
    let products = products_of(&tx, lines.iter().map(|l| l.variant_id)).await?;
    let sold = sold_lines!(lines, products)?;
    let paid_in_full = order.paid_minor >= order.total_minor;
    let form = payment_form(
        money
            .iter()
            .filter(|m| m.kind == orders::MoneyDirection::Payment.key())
            .map(|m| (m.method.as_str(), m.amount_minor)),
    );
    let input = InvoiceInput {
        contact_id: order.contact_id,
        receiver,
        currency: Some(order.currency.clone()),
        payment_method: Some(if paid_in_full { "PUE" } else { "PPD" }.to_owned()),
        payment_form: Some(if paid_in_full { form } else { "99" }.to_owned()),
        items: Some(sold.iter().map(|s| s.item(&order.currency)).collect()),
        ..InvoiceInput::default()
    };
    let invoice = invoices::insert_draft(&mut tx, ctx, input, None).await?;
    if !orders::mark_invoiced(&tx, order.id, invoice.id).await? {
        return Err(Error::conflict("orderId", "the order is invoiced already"));
    }
    tx.commit().await?;
    Ok(invoice)
}

// ---- self-invoicing ----

/// What a customer types on the self-invoicing page.
#[derive(Clone, Debug, Default)]
pub struct SelfInvoiceInput {
    /// The code printed on the receipt.
    pub code: String,
    pub rfc: String,
    pub name: String,
    pub tax_regime: String,
    pub postal_code: String,
    pub cfdi_use: String,
    pub email: String,
}

/// Invoices a ticket for the customer who bought it: the receipt's code and the
/// customer's fiscal data, within the calendar month of the sale (after it, the sale
/// belongs to the month's factura global). The CFDI is stamped off the request and emailed
/// to the address given.
pub async fn self_invoice(
    deps: &Deps,
    business: &tianguis_entity::tenancy::tenants::Model,
    input: SelfInvoiceInput,
) -> Result<Invoice> {
    let ctx = TenantCtx::system(business.id);
    let code = required_text(&input.code, "code", 20)?;
    let email = required_text(&input.email, "email", 254)?;
    let mut tx = TenantTx::begin(deps, business.id).await?;
    if fiscal::of(&tx).await?.is_none() {
        return Err(Error::conflict(
            "code",
            "this business does not issue invoices here",
        ));
    }
    let sale = match pos::sale_by_receipt_code(&tx, &code).await {
        Ok(sale) => sale,
        Err(Error::NotFound(_)) => {
            return Err(Error::invalid(
                "code",
                "no receipt of this business has that code",
            ));
        }
        Err(other) => return Err(other),
    };
    if sale.ticket.invoice_id.is_some() {
        return Err(Error::conflict("code", "this receipt is invoiced already"));
    }
    let zone: chrono_tz::Tz = business.timezone.parse().unwrap_or(chrono_tz::UTC);
    let sold_in = sale.ticket.created_at.with_timezone(&zone);
    let today = tx.now().with_timezone(&zone);
    if (sold_in.year(), sold_in.month()) != (today.year(), today.month()) {
        return Err(Error::invalid(
            "code",
            "a receipt is invoiced within the month of the sale; this one is in that month's global invoice",
        ));
    }
    let products = products_of(&tx, sale.lines.iter().map(|l| l.variant_id)).await?;
    let sold = ticket_items(&sale, &products)?;
    if sold.is_empty() {
        return Err(Error::invalid(
            "code",
            "everything on this receipt was returned",
        ));
    }
    let currency = sale.ticket.currency.clone();
    let invoice = invoices::insert_draft(
        &mut tx,
        &ctx,
        InvoiceInput {
            contact_id: sale.ticket.contact_id,
            receiver: Some(ReceiverInput {
                rfc: Some(input.rfc),
                name: Some(input.name),
                tax_regime: Some(input.tax_regime),
                postal_code: Some(input.postal_code),
                cfdi_use: Some(input.cfdi_use),
                email: Some(email),
            }),
            currency: Some(currency.clone()),
            payment_method: Some("PUE".into()),
            payment_form: Some(
                payment_form(
                    sale.payments
                        .iter()
                        .map(|p| (p.method.as_str(), p.amount_minor)),
                )
                .to_owned(),
            ),
            items: Some(sold.iter().map(|s| s.item(&currency)).collect()),
            ..InvoiceInput::default()
        },
        None,
    )
    .await?;
    if !pos::mark_invoiced(&tx, &[sale.ticket.id], invoice.id).await? {
        return Err(Error::conflict("code", "this receipt is invoiced already"));
    }
    let invoice = invoices::request_stamp_in(&mut tx, deps, &ctx, invoice).await?;
    tx.commit().await?;
    Ok(invoice)
}

// ---- the factura global ----

tianguis_kernel::stored_enum! {
    /// SAT's c_Periodicidad.
    pub enum Periodicity {
        Daily = "01",
        Weekly = "02",
        Fortnightly = "03",
        Monthly = "04",
        Bimonthly = "05",
    }
}

/// The InformacionGlobal of `[from, to]`: the period must lie within one month (two for a
/// bimonthly one, January–February, March–April and so on), as SAT's Meses names it.
pub fn global_period(
    periodicity: Periodicity,
    from: NaiveDate,
    to: NaiveDate,
) -> Result<GlobalPeriod> {
    if to < from {
        return Err(Error::invalid("to", "the period ends before it starts"));
    }
    if from.year() != to.year() {
        return Err(Error::invalid(
            "to",
            "a global invoice covers one calendar year",
        ));
    }
    let months = if periodicity == Periodicity::Bimonthly {
        let pair = (from.month0() / 2, to.month0() / 2);
        if pair.0 != pair.1 {
            return Err(Error::invalid(
                "to",
                "a bimonthly period is January–February, March–April, May–June, July–August, September–October or November–December",
            ));
        }
        format!("{}", 13 + pair.0)
    } else {
        if from.month() != to.month() {
            return Err(Error::invalid(
                "to",
                "a daily, weekly, fortnightly or monthly period lies within one month",
            ));
        }
        let days = (to - from).num_days() + 1;
        let longest = match periodicity {
            Periodicity::Daily => 1,
            Periodicity::Weekly => 7,
            Periodicity::Fortnightly => 16,
            _ => 31,
        };
        if days > longest {
            return Err(Error::invalid(
                "to",
                format!("a {} period has at most {longest} days", periodicity.key()),
            ));
        }
        format!("{:02}", from.month())
    };
    Ok(GlobalPeriod {
        periodicity: periodicity.key().to_owned(),
        months,
        year: from.year(),
    })
}

/// Drafts the factura global of `[from, to]` (days in the business's time zone): every
/// sale in it not invoiced on its own, net of returns, one line per ticket and tax rate,
/// to XAXX010101000 PUBLICO EN GENERAL with the period's InformacionGlobal. The tickets
/// are marked invoiced by it, so none is invoiced twice.
pub async fn global_invoice(
    deps: &Deps,
    ctx: &TenantCtx,
    periodicity: Periodicity,
    from: NaiveDate,
    to: NaiveDate,
) -> Result<Invoice> {
    ctx.require(Permission::BillingInvoicesWrite)?;
    let period = global_period(periodicity, from, to)?;
    let mut tx = TenantTx::begin(deps, ctx.tenant_id).await?;
    let profile = fiscal::required(&tx).await?;
    let business = crate::db::tenant_region(&*tx, ctx.tenant_id).await?;
    let zone: chrono_tz::Tz = business.timezone.parse().unwrap_or(chrono_tz::UTC);
    let start_of = |day: NaiveDate| {
        zone.from_local_datetime(&day.and_hms_opt(0, 0, 0).unwrap_or_default())
            .earliest()
            .map(|t| t.with_timezone(&Utc))
            .ok_or_else(|| {
                Error::invalid("from", "the day does not exist in the business's time zone")
            })
    };
    let start = start_of(from)?;
    let end = start_of(to.succ_opt().unwrap_or(to))?;
    if end > tx.now() {
        return Err(Error::invalid("to", "the period has not ended yet"));
    }
    let sales = pos::uninvoiced_sales(&tx, start, end).await?;
    let currency = business.currency.clone();
    let mut items = Vec::new();
    let mut ticket_ids = Vec::new();
    for sale in &sales {
        // One line per ticket and tax rate, its number as the identification.
        let mut by_tax: BTreeMap<&str, i64> = BTreeMap::new();
        // The factura global's lines are tickets, not products.
        for sold in ticket_items(sale, &HashMap::new())? {
            *by_tax.entry(sold.tax.key()).or_default() += sold.net_minor;
        }
        if by_tax.is_empty() {
            continue;
        }
        let number = sale.ticket.number.to_string();
        for (tax, net) in by_tax {
            items.push(
                Sold {
                    product_id: None,
                    description: "Venta",
                    sku: &number,
                    product_key: GLOBAL_PRODUCT_KEY,
                    unit_key: GLOBAL_UNIT_KEY,
                    quantity_milli: 1_000,
                    net_minor: net,
                    tax: Tax::from_stored(tax)?,
                }
                .item(&currency),
            );
        }
        ticket_ids.push(sale.ticket.id);
    }
    if items.is_empty() {
        return Err(Error::invalid(
            "from",
            "no sale in the period is left to invoice",
        ));
    }
    let form = payment_form(
        sales
            .iter()
            .flat_map(|s| s.payments.iter())
            .map(|p| (p.method.as_str(), p.amount_minor)),
    );
    let invoice = invoices::insert_draft(
        &mut tx,
        ctx,
        InvoiceInput {
            receiver: Some(ReceiverInput {
                rfc: Some(PUBLIC_RFC.into()),
                name: Some(PUBLIC_NAME.into()),
                tax_regime: Some("616".into()),
                postal_code: Some(profile.postal_code.clone()),
                cfdi_use: Some("S01".into()),
                email: None,
            }),
            currency: Some(currency),
            payment_method: Some("PUE".into()),
            payment_form: Some(form.to_owned()),
            items: Some(items),
            ..InvoiceInput::default()
        },
        None,
    )
    .await?;
    let invoice = invoices::set_global_period(&tx, invoice, &period).await?;
    if !pos::mark_invoiced(&tx, &ticket_ids, invoice.id).await? {
        return Err(Error::conflict(
            "from",
            "a ticket of the period was invoiced meanwhile; try again",
        ));
    }
    audit::record(
        &mut tx,
        ctx,
        "billing.invoice.global_drafted",
        ("invoice", Some(invoice.id)),
        serde_json::json!({
            "periodicity": period.periodicity,
            "months": period.months,
            "year": period.year,
            "tickets": ticket_ids.len(),
        }),
    )
    .await?;
    tx.commit().await?;
    Ok(invoice)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn day(text: &str) -> NaiveDate {
        text.parse().expect("a date")
    }

    #[test]
    fn a_global_period_names_its_months_as_sat_does() {
        let monthly = global_period(Periodicity::Monthly, day("2026-11-01"), day("2026-11-30"))
            .expect("november");
        assert_eq!(
            (
                monthly.periodicity.as_str(),
                monthly.months.as_str(),
                monthly.year
            ),
            ("04", "11", 2026)
        );
        let bimonthly = global_period(Periodicity::Bimonthly, day("2026-11-01"), day("2026-12-31"))
            .expect("november and december");
        assert_eq!(bimonthly.months, "18");
        let daily =
            global_period(Periodicity::Daily, day("2026-03-05"), day("2026-03-05")).expect("a day");
        assert_eq!(
            (daily.periodicity.as_str(), daily.months.as_str()),
            ("01", "03")
        );
        assert!(
            global_period(Periodicity::Bimonthly, day("2026-02-01"), day("2026-03-31")).is_err()
        );
        assert!(global_period(Periodicity::Monthly, day("2026-01-31"), day("2026-02-01")).is_err());
        assert!(global_period(Periodicity::Weekly, day("2026-01-01"), day("2026-01-08")).is_err());
        assert!(global_period(Periodicity::Daily, day("2026-01-02"), day("2026-01-01")).is_err());
    }

    #[test]
    fn the_payment_form_is_that_of_the_method_that_took_the_most() {
        assert_eq!(
            payment_form([("cash", 100), ("card", 60), ("card", 50)].into_iter()),
            "04"
        );
        assert_eq!(
            payment_form([("cash", 100), ("transfer", 60)].into_iter()),
            "01"
        );
        assert_eq!(payment_form(std::iter::empty()), "99");
    }
}
