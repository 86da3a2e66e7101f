//! The emails this context sends, in Spanish and English.

use tianguis_kernel::email::templates::{Content, EmailTemplate};

pub struct AlertRaised<'a> {
    pub rule: &'a str,
    pub device: &'a str,
    pub severity: &'a str,
    /// The values that raised it, as JSON.
    pub details: &'a str,
    pub link: &'a str,
}

impl EmailTemplate for AlertRaised<'_> {
    fn kind(&self) -> &'static str {
        "alert_raised"
    }

    fn content(&self, english: bool, _business: &str) -> Content {
        let Self {
            rule,
            device,
            severity,
            details,
            link,
        } = self;
        if english {
            Content {
                subject: format!("[{severity}] {rule}: {device}"),
                paragraphs: vec![
                    format!("The rule \"{rule}\" fired on {device} (severity {severity})."),
                    format!("Values: {details}"),
                ],
                button: Some(("View alert".into(), (*link).into())),
            }
        } else {
            Content {
                subject: format!("[{severity}] {rule}: {device}"),
                paragraphs: vec![
                    format!("La regla «{rule}» se activó en {device} (severidad {severity})."),
                    format!("Valores: {details}"),
                ],
                button: Some(("Ver alerta".into(), (*link).into())),
            }
        }
    }
}
