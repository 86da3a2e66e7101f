//! Pure rules of the counter: quantities in thousandths, barcodes, and a line's taxes when
//! the price already includes them.
//!
//! Prices to the public include their taxes (Mexican consumer law asks shelves and tickets to
//! show the final price), so a line's taxes are taken out of its total rather than added to
//! it: base = total / ((1 + IEPS) × (1 + IVA)), IEPS on the base, IVA on base plus IEPS (as
//! SAT computes IVA on the price that carries IEPS), each rounded per line half away from
//! zero, and the IVA is what remains so that base + IEPS + IVA is exactly the total.

use rust_decimal::Decimal;
use tianguis_kernel::pricing::Tax;
use tianguis_kernel::rules::{currency_exponent, round_money, to_minor};

use crate::{Error, Result};

tianguis_kernel::stored_enum! {
    /// How quantities of a product are counted.
    pub enum Unit {
        Piece = "piece",
        Kilogram = "kg",
        Litre = "l",
        Metre = "m",
    }
}

impl Unit {
    /// Pieces are whole; weights, volumes and lengths have up to 3 decimals.
    pub fn decimals(self) -> u32 {
        match self {
            Unit::Piece => 0,
            Unit::Kilogram | Unit::Litre | Unit::Metre => 3,
        }
    }

    /// SAT's ClaveUnidad for the unit (H87 pieza, KGM kilogramo, LTR litro, MTR metro).
    pub fn sat_key(self) -> &'static str {
        match self {
            Unit::Piece => "H87",
            Unit::Kilogram => "KGM",
            Unit::Litre => "LTR",
            Unit::Metre => "MTR",
        }
    }
}

/// Thousandths of a unit per unit.
pub const MILLI: i64 = 1_000;

/// A quantity given by a client, as thousandths: positive, and whole for pieces.
pub fn quantity_milli(value: Decimal, unit: Unit, field: &'static str) -> Result<i64> {
    if value <= Decimal::ZERO {
        return Err(Error::invalid(field, format!("{field} must be above zero")));
    }
    signed_quantity_milli(value, unit, field)
}

/// A quantity that may be negative (an adjustment), as thousandths.
pub fn signed_quantity_milli(value: Decimal, unit: Unit, field: &'static str) -> Result<i64> {
    let decimals = unit.decimals();
    if value.normalize().scale() > decimals {
        let what = if decimals == 0 {
            "pieces are counted whole".to_owned()
        } else {
            format!("at most {decimals} decimals")
        };
        return Err(Error::invalid(field, what));
    }
    let milli = value * Decimal::from(MILLI);
    i64::try_from(milli.trunc())
        .ok()
        .filter(|m| m.abs() <= 1_000_000_000 * MILLI)
        .ok_or_else(|| Error::invalid(field, format!("{field} is too large")))
}

/// Thousandths back to the decimal a client sees.
pub fn from_milli(milli: i64) -> Decimal {
    Decimal::new(milli, 3).normalize()
}

/// A barcode: EAN-13, EAN-8 or UPC-A digits whose check digit is right.
pub fn barcode(raw: &str, field: &'static str) -> Result<String> {
    let code: String = raw.chars().filter(|c| !c.is_whitespace()).collect();
    let digits: Option<Vec<u32>> = code.chars().map(|c| c.to_digit(10)).collect();
    let Some(digits) = digits.filter(|d| matches!(d.len(), 8 | 12 | 13)) else {
        return Err(Error::invalid(
            field,
            "a barcode is 8 (EAN-8), 12 (UPC-A) or 13 (EAN-13) digits",
        ));
    };
    let (body, check) = digits.split_at(digits.len() - 1);
    // GS1: from the right of the body, weights 3, 1, 3, …
    let sum: u32 = body
        .iter()
        .rev()
        .enumerate()
        .map(|(i, d)| if i % 2 == 0 { d * 3 } else { *d })
        .sum();
    if (10 - sum % 10) % 10 != check[0] {
        return Err(Error::invalid(field, "the barcode's check digit is wrong"));
    }
    Ok(code)
}

/// SAT's ClaveProdServ: 8 digits.
pub fn sat_product_key(raw: &str, field: &'static str) -> Result<String> {
    let key = raw.trim();
    if key.len() == 8 && key.bytes().all(|b| b.is_ascii_digit()) {
        Ok(key.to_owned())
    } else {
        Err(Error::invalid(field, "a SAT product key is 8 digits"))
    }
}

/// SAT's ClaveUnidad: 2 or 3 letters and digits (H87, KGM, E48).
pub fn sat_unit_key(raw: &str, field: &'static str) -> Result<String> {
    let key = raw.trim().to_uppercase();
    if (2..=3).contains(&key.len()) && key.bytes().all(|b| b.is_ascii_alphanumeric()) {
        Ok(key)
    } else {
        Err(Error::invalid(
            field,
            "a SAT unit key is 2 or 3 letters and digits",
        ))
    }
}

/// An IEPS rate: a fraction between 0 and 3 (160 % on some drinks is the highest).
pub fn ieps_rate(rate: Decimal, field: &'static str) -> Result<Decimal> {
    if rate <= Decimal::ZERO || rate > Decimal::from(3) || rate.normalize().scale() > 6 {
        return Err(Error::invalid(
            field,
            "the IEPS rate is a fraction above 0 and at most 3, with up to 6 decimals",
        ));
    }
    Ok(rate.normalize())
}

/// `value × numerator / denominator` in 128 bits, rounded half away from zero: shares of an
/// amount, amounts of a quantity in thousandths, weighted averages.
pub fn scaled(value: i128, denominator: i128) -> i64 {
    if denominator == 0 {
        return 0;
    }
    let sign = value.signum() * denominator.signum();
    let (value, denominator) = (value.abs(), denominator.abs());
    let rounded = sign * ((2 * value + denominator) / (2 * denominator));
    i64::try_from(rounded).unwrap_or(if sign < 0 { i64::MIN } else { i64::MAX })
}

/// The part of `amount` that `part` is of `whole`, rounded half away from zero.
pub fn share(amount: i64, part: i64, whole: i64) -> i64 {
    if part == whole {
        return amount;
    }
    scaled(i128::from(amount) * i128::from(part), i128::from(whole))
}

/// What a line of a ticket comes to.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Default)]
pub struct LineFigures {
    /// quantity × unit price − discount, taxes included.
    pub total: i64,
    pub base: i64,
    pub ieps: i64,
    pub iva: i64,
}

/// A line of `quantity_milli` thousandths at `unit_price` (minor units, taxes included) less
/// `discount` (minor units).
pub fn line_figures(
    quantity_milli: i64,
    unit_price: i64,
    discount: i64,
    tax: Tax,
    ieps: Option<Decimal>,
    currency: &str,
) -> Result<LineFigures> {
    let exponent = currency_exponent(currency);
    let minor = |value: Decimal| {
        to_minor(value, exponent).ok_or_else(|| Error::invalid("lines", "the amount is too large"))
    };
    let price = Decimal::new(unit_price, exponent);
    let gross = minor(round_money(price * from_milli(quantity_milli), exponent))?;
    if discount > gross {
        return Err(Error::invalid(
            "discount",
            "a line's discount cannot exceed its amount",
        ));
    }
    let total = gross - discount;
    let total_dec = Decimal::new(total, exponent);
    let ieps_rate = ieps.unwrap_or(Decimal::ZERO);
    let divisor = (Decimal::ONE + ieps_rate) * (Decimal::ONE + tax.rate());
    let base_dec = round_money(total_dec / divisor, exponent);
    let ieps_dec = round_money(base_dec * ieps_rate, exponent);
    let base = minor(base_dec)?;
    let ieps = minor(ieps_dec)?;
    Ok(LineFigures {
        total,
        base,
        ieps,
        iva: total - base - ieps,
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    fn dec(text: &str) -> Decimal {
        text.parse().expect("decimal")
    }

    #[test]
    fn shares_round_half_away_from_zero() {
        assert_eq!(share(100, 1, 3), 33);
        assert_eq!(share(100, 2, 3), 67);
        assert_eq!(share(-100, 2, 3), -67);
        assert_eq!(share(5, 1, 2), 3);
        assert_eq!(share(-5, 1, 2), -3);
        assert_eq!(share(7, 4, 4), 7);
        assert_eq!(scaled(1_500 * 2_999, 1_000), 4_499);
    }

    #[test]
    fn barcodes_need_the_right_check_digit() {
        assert_eq!(
            barcode("7501055300075", "barcode").ok().as_deref(),
            Some("7501055300075")
        );
        assert!(barcode("036000291452", "barcode").is_ok(), "UPC-A");
        assert!(barcode("96385074", "barcode").is_ok(), "EAN-8");
        assert!(barcode("7501055300076", "barcode").is_err());
        assert!(barcode("75010553000", "barcode").is_err());
        assert!(barcode("75010553000A5", "barcode").is_err());
    }

    #[test]
    fn pieces_are_whole_and_weights_have_three_decimals() {
        assert_eq!(quantity_milli(dec("2"), Unit::Piece, "q").ok(), Some(2_000));
        assert!(quantity_milli(dec("1.5"), Unit::Piece, "q").is_err());
        assert_eq!(
            quantity_milli(dec("1.235"), Unit::Kilogram, "q").ok(),
            Some(1_235)
        );
        assert!(quantity_milli(dec("1.2345"), Unit::Kilogram, "q").is_err());
        assert!(quantity_milli(dec("0"), Unit::Kilogram, "q").is_err());
        assert_eq!(
            signed_quantity_milli(dec("-3"), Unit::Piece, "q").ok(),
            Some(-3_000)
        );
        assert_eq!(from_milli(1_230), dec("1.23"));
    }

    #[test]
    fn taxes_come_out_of_a_price_that_includes_them() {
        // 2 × $116.00 with IVA 16 %: $200 base, $32 IVA.
        let line = line_figures(2_000, 11_600, 0, Tax::Iva16, None, "MXN").expect("line");
        assert_eq!(
            line,
            LineFigures {
                total: 23_200,
                base: 20_000,
                ieps: 0,
                iva: 3_200
            }
        );
        // 1.235 kg of beef at $189.90/kg, IVA 0 %: the amount rounds half away from zero.
        let beef = line_figures(1_235, 18_990, 0, Tax::Iva0, None, "MXN").expect("beef");
        assert_eq!(beef.total, 23_453);
        assert_eq!((beef.base, beef.iva), (23_453, 0));
        // A $35 beer with IEPS 26.5 % and IVA 16 %: base 23.85, IEPS 6.32, IVA the rest.
        let beer =
            line_figures(1_000, 3_500, 0, Tax::Iva16, Some(dec("0.265")), "MXN").expect("beer");
        assert_eq!(
            beer,
            LineFigures {
                total: 3_500,
                base: 2_385,
                ieps: 632,
                iva: 483
            }
        );
        assert_eq!(beer.base + beer.ieps + beer.iva, beer.total);
    }

    #[test]
    fn a_discount_comes_off_the_line_and_cannot_exceed_it() {
        let line = line_figures(1_000, 11_600, 1_600, Tax::Iva16, None, "MXN").expect("line");
        assert_eq!(line.total, 10_000);
        assert_eq!(line.base, 8_621);
        assert_eq!(line.iva, 1_379);
        assert!(line_figures(1_000, 1_000, 1_001, Tax::Iva16, None, "MXN").is_err());
    }
}
