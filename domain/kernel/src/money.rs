//! Exact money: integer minor units with their currency.

use rust_decimal::Decimal;

use crate::rules;

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
