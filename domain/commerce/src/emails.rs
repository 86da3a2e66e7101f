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
