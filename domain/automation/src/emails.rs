//! The emails this context sends, in Spanish and English.

use chrono::{DateTime, Utc};
use tianguis_kernel::email::templates::{Content, EmailTemplate, timestamp};

pub struct WebhookDisabled<'a> {
    pub url: &'a str,
    pub since: DateTime<Utc>,
}

impl EmailTemplate for WebhookDisabled<'_> {
    fn kind(&self) -> &'static str {
        "webhook_disabled"
    }

    fn content(&self, english: bool, _business: &str) -> Content {
        let Self { url, since } = self;
        if english {
            Content {
                subject: "A failing webhook was disabled".into(),
                paragraphs: vec![format!(
                    "Every delivery to {url} has failed since {}, so it was disabled. Fix it and enable it again; missed deliveries can be resent.",
                    timestamp(since)
                )],
                button: None,
            }
        } else {
            Content {
                subject: "Desactivamos un webhook que fallaba".into(),
                paragraphs: vec![format!(
                    "Todas las entregas a {url} fallaron desde el {}, así que lo desactivamos. Corrígelo y actívalo de nuevo; puedes reenviar las entregas perdidas.",
                    timestamp(since)
                )],
                button: None,
            }
        }
    }
}
