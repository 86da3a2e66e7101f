//! The emails this context sends, in Spanish and English.

use tianguis_kernel::email::templates::{Content, EmailTemplate};

/// A variant fell below its low-stock threshold at a location.
pub struct LowStock<'a> {
    pub product: &'a str,
    pub sku: &'a str,
    pub location: &'a str,
    pub on_hand: &'a str,
    pub threshold: &'a str,
    pub link: &'a str,
}

impl EmailTemplate for LowStock<'_> {
    fn kind(&self) -> &'static str {
        "low_stock"
    }

    fn content(&self, english: bool, _business: &str) -> Content {
        let Self {
            product,
            sku,
            location,
            on_hand,
            threshold,
            link,
        } = self;
        if english {
            Content {
                subject: format!("Low stock: {product} ({sku}) at {location}"),
                paragraphs: vec![format!(
                    "{location} has {on_hand} of {product} ({sku}) left, below the {threshold} you set."
                )],
                button: Some(("View stock".into(), (*link).into())),
            }
        } else {
            Content {
                subject: format!("Existencias bajas: {product} ({sku}) en {location}"),
                paragraphs: vec![format!(
                    "En {location} quedan {on_hand} de {product} ({sku}), menos del mínimo de {threshold}."
                )],
                button: Some(("Ver existencias".into(), (*link).into())),
            }
        }
    }
}

/// A purchase order, to its supplier.
pub struct PurchaseOrderSent<'a> {
    pub number: i64,
    /// One per line: quantity, product, SKU and cost.
    pub lines: &'a [String],
    pub total: &'a str,
    pub currency: &'a str,
    pub expected_on: Option<chrono::NaiveDate>,
    pub notes: Option<&'a str>,
}

impl EmailTemplate for PurchaseOrderSent<'_> {
    fn kind(&self) -> &'static str {
        "purchase_order_sent"
    }

    fn content(&self, english: bool, business: &str) -> Content {
        let Self {
            number,
            lines,
            total,
            currency,
            expected_on,
            notes,
        } = self;
        let mut paragraphs = Vec::with_capacity(lines.len() + 4);
        if english {
            paragraphs.push(format!("{business} orders the following:"));
        } else {
            paragraphs.push(format!("{business} le solicita lo siguiente:"));
        }
        paragraphs.extend(lines.iter().cloned());
        paragraphs.push(format!("Total: {total} {currency}"));
        if let Some(date) = expected_on {
            paragraphs.push(if english {
                format!("Expected on {date}.")
            } else {
                format!("Fecha de entrega esperada: {date}.")
            });
        }
        if let Some(notes) = notes {
            paragraphs.push((*notes).to_owned());
        }
        Content {
            subject: if english {
                format!("Purchase order {number} from {business}")
            } else {
                format!("Orden de compra {number} de {business}")
            },
            paragraphs,
            button: None,
        }
    }
}
