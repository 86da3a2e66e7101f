//! The emails' words and layout, in Spanish and English, with the sending business's
//! branding. Every part exists as HTML and as plain text.

use chrono::{DateTime, Utc};

/// How an email looks for the business sending it.
#[derive(Clone, Debug)]
pub struct Branding {
    pub name: String,
    pub logo_url: Option<String>,
    /// A CSS colour such as `#0F766E`.
    pub color: String,
}

impl Branding {
    /// For emails about the person's account rather than a business.
    pub fn tianguis() -> Self {
        Self {
            name: "Tianguis".into(),
            logo_url: None,
            color: "#0F766E".into(),
        }
    }
}

pub enum Template<'a> {
    Invitation {
        inviter: &'a str,
        role: &'a str,
        link: &'a str,
        expires_at: DateTime<Utc>,
    },
    VerifyEmail {
        name: &'a str,
        link: &'a str,
    },
    PasswordReset {
        name: &'a str,
        link: &'a str,
    },
    NewLogin {
        name: &'a str,
        ip: &'a str,
        device: &'a str,
        at: DateTime<Utc>,
    },
    WebhookDisabled {
        url: &'a str,
        since: DateTime<Utc>,
    },
    AlertRaised {
        rule: &'a str,
        device: &'a str,
        severity: &'a str,
        /// The values that raised it, as JSON.
        details: &'a str,
        link: &'a str,
    },
    ProposalSent {
        number: &'a str,
        title: &'a str,
        total: &'a str,
        valid_until: chrono::NaiveDate,
        link: &'a str,
    },
    /// An installment of an interest-free plan fell due unpaid.
    InstallmentOverdue {
        invoice: &'a str,
        number: u32,
        months: u32,
        amount: &'a str,
        due_date: chrono::NaiveDate,
        /// Where to pay by card, if the invoice has a page.
        pay_link: Option<&'a str>,
    },
    /// A stamped invoice; its XML and printable copy go as attachments.
    InvoiceStamped {
        number: &'a str,
        total: &'a str,
        uuid: &'a str,
    },
}

impl Template<'_> {
    pub fn kind(&self) -> &'static str {
        match self {
            Template::Invitation { .. } => "invitation",
            Template::VerifyEmail { .. } => "email_verification",
            Template::PasswordReset { .. } => "password_reset",
            Template::NewLogin { .. } => "new_login",
            Template::WebhookDisabled { .. } => "webhook_disabled",
            Template::ProposalSent { .. } => "proposal_sent",
            Template::InvoiceStamped { .. } => "invoice_stamped",
            Template::InstallmentOverdue { .. } => "installment_overdue",
            Template::AlertRaised { .. } => "alert_raised",
        }
    }
}

pub struct Rendered {
    pub subject: String,
    pub html: String,
    pub text: String,
}

/// What a template says: subject, paragraphs and an optional button.
struct Content {
    subject: String,
    paragraphs: Vec<String>,
    button: Option<(String, String)>,
}

pub fn escape(text: &str) -> String {
    let mut out = String::with_capacity(text.len());
    for c in text.chars() {
        match c {
            '&' => out.push_str("&amp;"),
            '<' => out.push_str("&lt;"),
            '>' => out.push_str("&gt;"),
            '"' => out.push_str("&quot;"),
            '\'' => out.push_str("&#39;"),
            c => out.push(c),
        }
    }
    out
}

/// Only plain hex colours reach the stylesheet.
pub fn safe_color(color: &str) -> &str {
    let hex = color.strip_prefix('#').unwrap_or_default();
    if matches!(hex.len(), 3 | 6) && hex.bytes().all(|b| b.is_ascii_hexdigit()) {
        color
    } else {
        "#0F766E"
    }
}

fn content(template: &Template<'_>, english: bool, business: &str) -> Content {
    let date = |at: &DateTime<Utc>| at.format("%Y-%m-%d %H:%M UTC").to_string();
    match (template, english) {
        (
            Template::Invitation {
                inviter,
                role,
                link,
                expires_at,
            },
            false,
        ) => Content {
            subject: format!("{inviter} te invitó a {business} en Tianguis"),
            paragraphs: vec![
                format!("{inviter} te invitó a unirte a {business} con el rol {role}."),
                format!("La invitación vence el {}.", date(expires_at)),
            ],
            button: Some(("Aceptar invitación".into(), (*link).into())),
        },
        (
            Template::Invitation {
                inviter,
                role,
                link,
                expires_at,
            },
            true,
        ) => Content {
            subject: format!("{inviter} invited you to {business} on Tianguis"),
            paragraphs: vec![
                format!("{inviter} invited you to join {business} as {role}."),
                format!("The invitation expires on {}.", date(expires_at)),
            ],
            button: Some(("Accept invitation".into(), (*link).into())),
        },
        (Template::VerifyEmail { name, link }, false) => Content {
            subject: "Confirma tu correo".into(),
            paragraphs: vec![format!("Hola {name}, confirma que este correo es tuyo.")],
            button: Some(("Confirmar correo".into(), (*link).into())),
        },
        (Template::VerifyEmail { name, link }, true) => Content {
            subject: "Confirm your email".into(),
            paragraphs: vec![format!(
                "Hi {name}, please confirm this email address is yours."
            )],
            button: Some(("Confirm email".into(), (*link).into())),
        },
        (Template::PasswordReset { name, link }, false) => Content {
            subject: "Restablece tu contraseña".into(),
            paragraphs: vec![
                format!(
                    "Hola {name}, pediste restablecer tu contraseña. El enlace sirve una vez y vence en una hora."
                ),
                "Si no fuiste tú, ignora este correo.".into(),
            ],
            button: Some(("Elegir contraseña nueva".into(), (*link).into())),
        },
        (Template::PasswordReset { name, link }, true) => Content {
            subject: "Reset your password".into(),
            paragraphs: vec![
                format!(
                    "Hi {name}, you asked to reset your password. The link works once and expires in an hour."
                ),
                "If this was not you, ignore this email.".into(),
            ],
            button: Some(("Choose a new password".into(), (*link).into())),
        },
        (
            Template::NewLogin {
                name,
                ip,
                device,
                at,
            },
            false,
        ) => Content {
            subject: format!("Nuevo inicio de sesión en {business}"),
            paragraphs: vec![
                format!(
                    "Hola {name}, alguien inició sesión en tu cuenta el {} desde {ip} ({device}).",
                    date(at)
                ),
                "Si no fuiste tú, cambia tu contraseña de inmediato.".into(),
            ],
            button: None,
        },
        (
            Template::NewLogin {
                name,
                ip,
                device,
                at,
            },
            true,
        ) => Content {
            subject: format!("New sign-in to {business}"),
            paragraphs: vec![
                format!(
                    "Hi {name}, someone signed in to your account on {} from {ip} ({device}).",
                    date(at)
                ),
                "If this was not you, change your password now.".into(),
            ],
            button: None,
        },
        (Template::WebhookDisabled { url, since }, false) => Content {
            subject: "Desactivamos un webhook que fallaba".into(),
            paragraphs: vec![format!(
                "Todas las entregas a {url} fallaron desde el {}, así que lo desactivamos. Corrígelo y actívalo de nuevo; puedes reenviar las entregas perdidas.",
                date(since)
            )],
            button: None,
        },
        (Template::WebhookDisabled { url, since }, true) => Content {
            subject: "A failing webhook was disabled".into(),
            paragraphs: vec![format!(
                "Every delivery to {url} has failed since {}, so it was disabled. Fix it and enable it again; missed deliveries can be resent.",
                date(since)
            )],
            button: None,
        },
        (
            Template::AlertRaised {
                rule,
                device,
                severity,
                details,
                link,
            },
            false,
        ) => Content {
            subject: format!("[{severity}] {rule}: {device}"),
            paragraphs: vec![
                format!("La regla «{rule}» se activó en {device} (severidad {severity})."),
                format!("Valores: {details}"),
            ],
            button: Some(("Ver alerta".into(), (*link).into())),
        },
        (
            Template::AlertRaised {
                rule,
                device,
                severity,
                details,
                link,
            },
            true,
        ) => Content {
            subject: format!("[{severity}] {rule}: {device}"),
            paragraphs: vec![
                format!("The rule \"{rule}\" fired on {device} (severity {severity})."),
                format!("Values: {details}"),
            ],
            button: Some(("View alert".into(), (*link).into())),
        },
        (
            Template::ProposalSent {
                number,
                title,
                total,
                valid_until,
                link,
            },
            false,
        ) => Content {
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
        },
        (
            Template::ProposalSent {
                number,
                title,
                total,
                valid_until,
                link,
            },
            true,
        ) => Content {
            subject: format!("{business} sent you proposal {number}"),
            paragraphs: vec![
                format!("{business} prepared proposal {number}: {title}, for a total of {total}."),
                format!(
                    "It is valid until {}. You can review it and accept or reject it online.",
                    valid_until.format("%Y-%m-%d")
                ),
            ],
            button: Some(("View proposal".into(), (*link).into())),
        },
        (
            Template::InstallmentOverdue {
                invoice,
                number,
                months,
                amount,
                due_date,
                pay_link,
            },
            false,
        ) => Content {
            subject: format!("Recordatorio: pago {number} de {months} de la factura {invoice}"),
            paragraphs: vec![
                format!(
                    "El pago {number} de {months} de la factura {invoice} de {business}, por {amount}, venció el {}.",
                    due_date.format("%Y-%m-%d")
                ),
                "Si ya lo realizaste, ignora este mensaje.".into(),
            ],
            button: pay_link.map(|l| ("Pagar en línea".into(), l.to_owned())),
        },
        (
            Template::InstallmentOverdue {
                invoice,
                number,
                months,
                amount,
                due_date,
                pay_link,
            },
            true,
        ) => Content {
            subject: format!("Reminder: payment {number} of {months} of invoice {invoice}"),
            paragraphs: vec![
                format!(
                    "Payment {number} of {months} of {business}'s invoice {invoice}, for {amount}, was due on {}.",
                    due_date.format("%Y-%m-%d")
                ),
                "If you have paid it already, please ignore this message.".into(),
            ],
            button: pay_link.map(|l| ("Pay online".into(), l.to_owned())),
        },
        (
            Template::InvoiceStamped {
                number,
                total,
                uuid,
            },
            false,
        ) => Content {
            subject: format!("{business} te envió la factura {number}"),
            paragraphs: vec![
                format!("{business} emitió la factura {number} por un total de {total}."),
                format!(
                    "Folio fiscal: {uuid}. Adjuntamos el CFDI (XML) y su representación impresa."
                ),
            ],
            button: None,
        },
        (
            Template::InvoiceStamped {
                number,
                total,
                uuid,
            },
            true,
        ) => Content {
            subject: format!("{business} sent you invoice {number}"),
            paragraphs: vec![
                format!("{business} issued invoice {number} for a total of {total}."),
                format!(
                    "Fiscal folio: {uuid}. The CFDI (XML) and its printable copy are attached."
                ),
            ],
            button: None,
        },
    }
}

/// Renders a template in `locale` (Spanish unless it is English) with `branding`.
pub fn render(template: &Template<'_>, locale: &str, branding: &Branding) -> Rendered {
    let english = locale.starts_with("en");
    let content = content(template, english, &branding.name);
    let color = safe_color(&branding.color);
    let logo = branding
        .logo_url
        .as_deref()
        .filter(|u| u.starts_with("https://"))
        .map_or_else(
            || {
                format!(
                    "<strong style=\"font-size:20px;color:{color}\">{}</strong>",
                    escape(&branding.name)
                )
            },
            |url| {
                format!(
                    "<img src=\"{}\" alt=\"{}\" height=\"40\">",
                    escape(url),
                    escape(&branding.name)
                )
            },
        );
    let paragraphs: String = content
        .paragraphs
        .iter()
        .map(|p| format!("<p style=\"margin:0 0 16px\">{}</p>", escape(p)))
        .collect();
    let button = content.button.as_ref().map_or_else(String::new, |(label, link)| {
        format!(
            "<p style=\"margin:24px 0\"><a href=\"{}\" style=\"background:{color};color:#fff;padding:12px 20px;border-radius:6px;text-decoration:none;display:inline-block\">{}</a></p>",
            escape(link),
            escape(label)
        )
    });
    let footer = if english {
        format!("Sent by {} with Tianguis.", branding.name)
    } else {
        format!("Enviado por {} con Tianguis.", branding.name)
    };
    let html = format!(
        "<!doctype html><html lang=\"{lang}\"><head><meta charset=\"utf-8\"><meta name=\"viewport\" content=\"width=device-width\"><title>{title}</title></head>\
         <body style=\"margin:0;background:#f4f4f5;font-family:Arial,Helvetica,sans-serif;color:#18181b\">\
         <div style=\"max-width:560px;margin:0 auto;padding:24px\"><div style=\"padding:8px 0 16px\">{logo}</div>\
         <div style=\"background:#fff;border-radius:8px;padding:24px;border-top:4px solid {color}\">{paragraphs}{button}</div>\
         <p style=\"font-size:12px;color:#71717a\">{footer}</p></div></body></html>",
        lang = if english { "en" } else { "es" },
        title = escape(&content.subject),
        footer = escape(&footer),
    );
    let mut text = content.paragraphs.join("\n\n");
    if let Some((label, link)) = &content.button {
        text.push_str(&format!("\n\n{label}: {link}"));
    }
    text.push_str(&format!("\n\n-- \n{footer}\n"));
    Rendered {
        subject: content.subject,
        html,
        text,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn invitation() -> Template<'static> {
        Template::Invitation {
            inviter: "Ana <script>",
            role: "Ventas",
            link: "https://app.example/accept?token=abc&x=1",
            expires_at: DateTime::from_timestamp(1_800_000_000, 0).expect("time"),
        }
    }

    #[test]
    fn spanish_is_the_default_and_english_follows_the_locale() {
        let brand = Branding {
            name: "Panadería La Espiga".into(),
            logo_url: None,
            color: "#AA3300".into(),
        };
        let es = render(&invitation(), "es-MX", &brand);
        let en = render(&invitation(), "en-US", &brand);
        assert!(
            es.subject.contains("te invitó a Panadería La Espiga"),
            "{}",
            es.subject
        );
        assert!(
            en.subject.contains("invited you to Panadería La Espiga"),
            "{}",
            en.subject
        );
        assert!(es.html.contains("lang=\"es\"") && en.html.contains("lang=\"en\""));
        assert!(es.html.contains("#AA3300"), "the brand colour is used");
    }

    #[test]
    fn text_is_escaped_in_html_and_links_survive_in_text() {
        let r = render(&invitation(), "es-MX", &Branding::tianguis());
        assert!(r.html.contains("Ana &lt;script&gt;"));
        assert!(!r.html.contains("<script>"));
        assert!(r.html.contains("token=abc&amp;x=1"));
        assert!(r.text.contains("https://app.example/accept?token=abc&x=1"));
    }

    #[test]
    fn unsafe_branding_falls_back() {
        let brand = Branding {
            name: "X".into(),
            logo_url: Some("javascript:alert(1)".into()),
            color: "red;}</style>".into(),
        };
        let r = render(&invitation(), "es", &brand);
        assert!(!r.html.contains("javascript:"));
        assert!(!r.html.contains("</style>"));
    }
}
