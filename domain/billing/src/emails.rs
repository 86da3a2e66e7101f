//! The emails this context sends, in Spanish and English.

use tianguis_kernel::email::templates::{Content, EmailTemplate};

/// An installment of an interest-free plan fell due unpaid.
pub struct InstallmentOverdue<'a> {
    pub invoice: &'a str,
    pub number: u32,
    pub months: u32,
    pub amount: &'a str,
    pub due_date: chrono::NaiveDate,
    /// Where to pay by card, if the invoice has a page.
    pub pay_link: Option<&'a str>,
}

impl EmailTemplate for InstallmentOverdue<'_> {
    fn kind(&self) -> &'static str {
        "installment_overdue"
    }

    fn content(&self, english: bool, business: &str) -> Content {
        let Self {
            invoice,
            number,
            months,
            amount,
            due_date,
            pay_link,
        } = self;
        if english {
            Content {
                subject: format!("Reminder: payment {number} of {months} of invoice {invoice}"),
                paragraphs: vec![
                    format!(
                        "Payment {number} of {months} of {business}'s invoice {invoice}, for {amount}, was due on {}.",
                        due_date.format("%Y-%m-%d")
                    ),
                    "If you have paid it already, please ignore this message.".into(),
                ],
                button: pay_link.map(|l| ("Pay online".into(), l.to_owned())),
            }
        } else {
            Content {
                subject: format!("Recordatorio: pago {number} de {months} de la factura {invoice}"),
                paragraphs: vec![
                    format!(
                        "El pago {number} de {months} de la factura {invoice} de {business}, por {amount}, venció el {}.",
                        due_date.format("%Y-%m-%d")
                    ),
                    "Si ya lo realizaste, ignora este mensaje.".into(),
                ],
                button: pay_link.map(|l| ("Pagar en línea".into(), l.to_owned())),
            }
        }
    }
}

/// A stamped invoice; its XML and printable copy go as attachments.
pub struct InvoiceStamped<'a> {
    pub number: &'a str,
    pub total: &'a str,
    pub uuid: &'a str,
}

impl EmailTemplate for InvoiceStamped<'_> {
    fn kind(&self) -> &'static str {
        "invoice_stamped"
    }

    fn content(&self, english: bool, business: &str) -> Content {
        let Self {
            number,
            total,
            uuid,
        } = self;
        if english {
            Content {
                subject: format!("{business} sent you invoice {number}"),
                paragraphs: vec![
                    format!("{business} issued invoice {number} for a total of {total}."),
                    format!(
                        "Fiscal folio: {uuid}. The CFDI (XML) and its printable copy are attached."
                    ),
                ],
                button: None,
            }
        } else {
            Content {
                subject: format!("{business} te envió la factura {number}"),
                paragraphs: vec![
                    format!("{business} emitió la factura {number} por un total de {total}."),
                    format!(
                        "Folio fiscal: {uuid}. Adjuntamos el CFDI (XML) y su representación impresa."
                    ),
                ],
                button: None,
            }
        }
    }
}
