//! The emails this context sends, in Spanish and English.

use tianguis_kernel::email::templates::{Content, EmailTemplate};

pub struct ProposalSent<'a> {
    pub number: &'a str,
    pub title: &'a str,
    pub total: &'a str,
    pub valid_until: chrono::NaiveDate,
    pub link: &'a str,
}

impl EmailTemplate for ProposalSent<'_> {
    fn kind(&self) -> &'static str {
        "proposal_sent"
    }

    fn content(&self, english: bool, business: &str) -> Content {
        let Self {
            number,
            title,
            total,
            valid_until,
            link,
        } = self;
        if english {
            Content {
                subject: format!("{business} sent you proposal {number}"),
                paragraphs: vec![
                    format!(
                        "{business} prepared proposal {number}: {title}, for a total of {total}."
                    ),
                    format!(
                        "It is valid until {}. You can review it and accept or reject it online.",
                        valid_until.format("%Y-%m-%d")
                    ),
                ],
                button: Some(("View proposal".into(), (*link).into())),
            }
        } else {
            Content {
                subject: format!("{business} te envió la cotización {number}"),
                paragraphs: vec![
                    format!(
                        "{business} preparó la cotización {number}: {title}, por un total de {total}."
                    ),
                    format!(
                        "Es válida hasta el {}. Puedes revisarla y aceptarla o rechazarla en línea.",
                        valid_until.format("%Y-%m-%d")
                    ),
                ],
                button: Some(("Ver cotización".into(), (*link).into())),
            }
        }
    }
}
