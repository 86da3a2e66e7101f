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

/// An email a context sends: its kind (stored with the email) and what it says.
pub trait EmailTemplate: Send + Sync {
    fn kind(&self) -> &'static str;

    /// The subject, paragraphs and button, in English or Spanish, for the business sending it.
    fn content(&self, english: bool, business: &str) -> Content;
}

/// How a moment reads in an email.
pub fn timestamp(at: &DateTime<Utc>) -> String {
    at.format("%Y-%m-%d %H:%M UTC").to_string()
}

pub struct Rendered {
    pub subject: String,
    pub html: String,
    pub text: String,
}

/// What a template says: subject, paragraphs and an optional button (label and link).
pub struct Content {
    pub subject: String,
    pub paragraphs: Vec<String>,
    pub button: Option<(String, String)>,
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

/// Renders a template in `locale` (Spanish unless it is English) with `branding`.
pub fn render(template: &dyn EmailTemplate, locale: &str, branding: &Branding) -> Rendered {
    let english = locale.starts_with("en");
    let content = template.content(english, &branding.name);
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

    /// An invitation, as tenancy words it.
    struct Invitation;

    impl EmailTemplate for Invitation {
        fn kind(&self) -> &'static str {
            "invitation"
        }

        fn content(&self, english: bool, business: &str) -> Content {
            let inviter = "Ana <script>";
            Content {
                subject: if english {
                    format!("{inviter} invited you to {business} on Tianguis")
                } else {
                    format!("{inviter} te invitó a {business} en Tianguis")
                },
                paragraphs: vec![format!("{inviter}: {business}")],
                button: Some((
                    "Accept".into(),
                    "https://app.example/accept?token=abc&x=1".into(),
                )),
            }
        }
    }

    fn invitation() -> Invitation {
        Invitation
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
