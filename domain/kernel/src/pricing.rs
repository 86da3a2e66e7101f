//! Proposal arithmetic: line amounts, taxes, withholdings and totals, exact in minor units.
//!
//! Rounding, as SAT does it for CFDI: each line's amount (quantity × unit price) is rounded
//! to the currency's decimals, half away from zero; each line's tax and each withholding is
//! computed on that line's amount less its discount and rounded the same way; the
//! proposal's totals are the sums of the rounded line figures, so a total always equals the
//! sum of the lines a customer sees.

use rust_decimal::Decimal;

use super::rules::{currency_exponent, money_minor, round_money, to_minor};
use crate::{Error, Result};

crate::stored_enum! {
    /// The IVA applied to a line.
    pub enum Tax {
        Iva16 = "iva_16",
        /// The northern and southern border region's reduced rate.
        Iva8 = "iva_8",
        Iva0 = "iva_0",
        Exempt = "exempt",
    }
}

impl Tax {
    pub fn rate(self) -> Decimal {
        match self {
            Tax::Iva16 => Decimal::new(16, 2),
            Tax::Iva8 => Decimal::new(8, 2),
            Tax::Iva0 | Tax::Exempt => Decimal::ZERO,
        }
    }
}

crate::stored_enum! {
    /// A tax the customer withholds and pays to SAT on the seller's behalf.
    pub enum Withholding {
        /// Two thirds of the IVA (services of individuals to companies): 10.6667 %.
        IvaTwoThirds = "iva_two_thirds",
        /// IVA withheld on freight: 4 %.
        IvaFreight = "iva_freight",
        /// ISR on professional fees and rent: 10 %.
        Isr10 = "isr10",
        /// ISR under the simplified trust regime (RESICO): 1.25 %.
        IsrResico = "isr_resico",
    }
}

impl Withholding {
    pub fn rate(self) -> Decimal {
        match self {
            Withholding::IvaTwoThirds => Decimal::new(106_667, 6),
            Withholding::IvaFreight => Decimal::new(4, 2),
            Withholding::Isr10 => Decimal::new(10, 2),
            Withholding::IsrResico => Decimal::new(125, 4),
        }
    }
}

/// A line's terms as proposal and invoice items store them: exact decimals as text, the
/// tax by its key and the withholdings as a JSON list of keys.
#[derive(Clone, Debug, PartialEq)]
pub struct StoredTerms {
    pub quantity: Decimal,
    pub unit_price: Decimal,
    pub tax: Tax,
    pub withholdings: Vec<Withholding>,
}

impl StoredTerms {
    pub fn read(
        quantity: &str,
        unit_price: &str,
        tax: &str,
        withholdings: &serde_json::Value,
    ) -> Result<Self> {
        let decimal = |text: &str| {
            text.parse::<Decimal>()
                .map_err(|e| Error::Unexpected(anyhow::anyhow!("stored decimal {text:?}: {e}")))
        };
        Ok(Self {
            quantity: decimal(quantity)?,
            unit_price: decimal(unit_price)?,
            tax: Tax::from_stored(tax)?,
            withholdings: withholdings_of(withholdings)?,
        })
    }
}

/// How an exact quantity or price is stored: the decimal without trailing zeros.
pub fn stored_decimal(value: Decimal) -> String {
    value.normalize().to_string()
}

/// How a line's withholdings are stored.
pub fn stored_withholdings(withholdings: &[Withholding]) -> serde_json::Value {
    serde_json::Value::Array(withholdings.iter().map(|w| w.key().into()).collect())
}

/// The withholdings a line stored; an unknown one is an error.
pub fn withholdings_of(stored: &serde_json::Value) -> Result<Vec<Withholding>> {
    let keys = stored
        .as_array()
        .ok_or_else(|| Error::Unexpected(anyhow::anyhow!("stored withholdings {stored}")))?;
    keys.iter()
        .map(|key| Withholding::from_stored(key.as_str().unwrap_or_default()))
        .collect()
}

#[derive(Clone, Debug)]
pub struct LineInput {
    pub quantity: Decimal,
    pub unit_price: Decimal,
    /// An amount off the line, in the proposal's currency.
    pub discount: Decimal,
    pub tax: Tax,
    pub withholdings: Vec<Withholding>,
}

#[derive(Clone, Debug, PartialEq, Eq, Default)]
pub struct LineTotals {
    pub amount: i64,
    pub discount: i64,
    pub tax: i64,
    pub withheld: i64,
}

#[derive(Clone, Debug, PartialEq, Eq, Default)]
pub struct Totals {
    pub subtotal: i64,
    pub discount: i64,
    pub tax: i64,
    pub withheld: i64,
    pub total: i64,
}

const MAX_DECIMALS: u32 = 6;

fn check_quantity(value: Decimal, field: &'static str) -> Result<()> {
    if value <= Decimal::ZERO {
        return Err(Error::invalid(field, "quantity must be greater than zero"));
    }
    if value.normalize().scale() > MAX_DECIMALS {
        return Err(Error::invalid(
            field,
            format!("quantity has at most {MAX_DECIMALS} decimals"),
        ));
    }
    Ok(())
}

fn check_price(value: Decimal, field: &'static str) -> Result<()> {
    if value.is_sign_negative() && !value.is_zero() {
        return Err(Error::invalid(field, "unit price cannot be negative"));
    }
    if value.normalize().scale() > MAX_DECIMALS {
        return Err(Error::invalid(
            field,
            format!("unit price has at most {MAX_DECIMALS} decimals"),
        ));
    }
    Ok(())
}

fn too_large(field: &'static str) -> Error {
    Error::invalid(field, "amount is too large")
}

/// One line's figures; the field names are those of the proposal input's items.
pub fn line(input: &LineInput, currency: &str) -> Result<LineTotals> {
    check_quantity(input.quantity, "quantity")?;
    check_price(input.unit_price, "unitPrice")?;
    let exponent = currency_exponent(currency);
    let amount = input
        .quantity
        .checked_mul(input.unit_price)
        .map(|a| round_money(a, exponent))
        .ok_or_else(|| too_large("unitPrice"))?;
    let discount = money_minor(input.discount, currency, "discount")?;
    let amount_minor = to_minor(amount, exponent).ok_or_else(|| too_large("unitPrice"))?;
    if discount > amount_minor {
        return Err(Error::invalid(
            "discount",
            "the discount cannot exceed the line amount",
        ));
    }
    let base = amount - input.discount;
    let share =
        |rate: Decimal| to_minor(base * rate, exponent).ok_or_else(|| too_large("unitPrice"));
    let tax = share(input.tax.rate())?;
    let mut withheld = 0_i64;
    for w in &input.withholdings {
        withheld += share(w.rate())?;
    }
    Ok(LineTotals {
        amount: amount_minor,
        discount,
        tax,
        withheld,
    })
}

pub fn totals<'a>(lines: impl IntoIterator<Item = &'a LineTotals>) -> Totals {
    let mut t = Totals::default();
    for l in lines {
        t.subtotal += l.amount;
        t.discount += l.discount;
        t.tax += l.tax;
        t.withheld += l.withheld;
    }
    t.total = t.subtotal - t.discount + t.tax - t.withheld;
    t
}

#[cfg(test)]
mod tests {
    use super::*;

    fn d(s: &str) -> Decimal {
        s.parse().expect("decimal")
    }

    #[test]
    fn stored_terms_read_back_what_was_stored_and_refuse_what_was_not() {
        let withholdings = [Withholding::IvaTwoThirds, Withholding::Isr10];
        let terms = StoredTerms::read(
            &stored_decimal(d("2.500")),
            &stored_decimal(d("100.10")),
            Tax::Iva8.key(),
            &stored_withholdings(&withholdings),
        )
        .expect("stored terms");
        assert_eq!(terms.quantity, d("2.5"));
        assert_eq!(terms.unit_price, d("100.1"));
        assert_eq!(terms.tax, Tax::Iva8);
        assert_eq!(terms.withholdings, withholdings);
        let unknown = serde_json::json!(["iva_two_thirds", "isr_99"]);
        assert!(withholdings_of(&unknown).is_err());
        assert!(StoredTerms::read("2", "x", "iva_16", &serde_json::json!([])).is_err());
    }

    fn input(q: &str, p: &str, disc: &str, tax: Tax, w: &[Withholding]) -> LineInput {
        LineInput {
            quantity: d(q),
            unit_price: d(p),
            discount: d(disc),
            tax,
            withholdings: w.to_vec(),
        }
    }

    #[test]
    fn line_rounds_half_away_from_zero_per_line() {
        // 3 × 33.335 = 100.005 → 100.01; IVA 16 % of 100.01 = 16.0016 → 16.00.
        let l = line(&input("3", "33.335", "0", Tax::Iva16, &[]), "MXN").expect("line");
        assert_eq!(
            l,
            LineTotals {
                amount: 10_001,
                discount: 0,
                tax: 1_600,
                withheld: 0
            }
        );
    }

    #[test]
    fn professional_fees_with_withholdings() {
        // 10,000 of fees to a company: IVA 1,600.00, IVA withheld 1,066.67, ISR 1,000.00.
        let l = line(
            &input(
                "1",
                "10000",
                "0",
                Tax::Iva16,
                &[Withholding::IvaTwoThirds, Withholding::Isr10],
            ),
            "MXN",
        )
        .expect("line");
        assert_eq!(l.tax, 160_000);
        assert_eq!(l.withheld, 106_667 + 100_000);
        let t = totals([&l]);
        assert_eq!(t.total, 1_000_000 + 160_000 - 206_667);
    }

    #[test]
    fn discounts_reduce_the_tax_base_and_totals_sum_lines() {
        let a = line(&input("2", "150", "30", Tax::Iva16, &[]), "MXN").expect("a");
        let b = line(&input("1.5", "99.99", "0", Tax::Iva8, &[]), "MXN").expect("b");
        let c = line(&input("1", "500", "0", Tax::Exempt, &[]), "MXN").expect("c");
        assert_eq!(a.tax, 4_320); // (300 - 30) × 16 %
        assert_eq!(b.amount, 14_999); // 149.985 → 149.99
        assert_eq!(b.tax, 1_200); // 149.99 × 8 % = 11.9992 → 12.00
        let t = totals([&a, &b, &c]);
        assert_eq!(t.subtotal, 30_000 + 14_999 + 50_000);
        assert_eq!(t.total, t.subtotal - 3_000 + t.tax);
    }

    #[test]
    fn bad_lines_name_their_field() {
        let field = |r: Result<LineTotals>| match r {
            Err(Error::Invalid { field, .. }) => field,
            other => panic!("expected invalid, got {other:?}"),
        };
        assert_eq!(
            field(line(&input("-1", "10", "0", Tax::Iva16, &[]), "MXN")),
            "quantity"
        );
        assert_eq!(
            field(line(&input("0", "10", "0", Tax::Iva16, &[]), "MXN")),
            "quantity"
        );
        assert_eq!(
            field(line(&input("1", "-10", "0", Tax::Iva16, &[]), "MXN")),
            "unitPrice"
        );
        assert_eq!(
            field(line(&input("1", "10", "11", Tax::Iva16, &[]), "MXN")),
            "discount"
        );
    }
}
