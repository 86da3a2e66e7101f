//! The emails this context sends, in Spanish and English.

use chrono::{DateTime, Utc};
use tianguis_kernel::email::templates::{Content, EmailTemplate, timestamp};

pub struct Invitation<'a> {
    pub inviter: &'a str,
    pub role: &'a str,
    pub link: &'a str,
    pub expires_at: DateTime<Utc>,
}

impl EmailTemplate for Invitation<'_> {
    fn kind(&self) -> &'static str {
        "invitation"
    }

    fn content(&self, english: bool, business: &str) -> Content {
        let Self {
            inviter,
            role,
            link,
            expires_at,
        } = self;
        if english {
            Content {
                subject: format!("{inviter} invited you to {business} on Tianguis"),
                paragraphs: vec![
                    format!("{inviter} invited you to join {business} as {role}."),
                    format!("The invitation expires on {}.", timestamp(expires_at)),
                ],
                button: Some(("Accept invitation".into(), (*link).into())),
            }
        } else {
            Content {
                subject: format!("{inviter} te invitó a {business} en Tianguis"),
                paragraphs: vec![
                    format!("{inviter} te invitó a unirte a {business} con el rol {role}."),
                    format!("La invitación vence el {}.", timestamp(expires_at)),
                ],
                button: Some(("Aceptar invitación".into(), (*link).into())),
            }
        }
    }
}

pub struct VerifyEmail<'a> {
    pub name: &'a str,
    pub link: &'a str,
}

impl EmailTemplate for VerifyEmail<'_> {
    fn kind(&self) -> &'static str {
        "email_verification"
    }

    fn content(&self, english: bool, _business: &str) -> Content {
        let Self { name, link } = self;
        if english {
            Content {
                subject: "Confirm your email".into(),
                paragraphs: vec![format!(
                    "Hi {name}, please confirm this email address is yours."
                )],
                button: Some(("Confirm email".into(), (*link).into())),
            }
        } else {
            Content {
                subject: "Confirma tu correo".into(),
                paragraphs: vec![format!("Hola {name}, confirma que este correo es tuyo.")],
                button: Some(("Confirmar correo".into(), (*link).into())),
            }
        }
    }
}

pub struct PasswordReset<'a> {
    pub name: &'a str,
    pub link: &'a str,
}

impl EmailTemplate for PasswordReset<'_> {
    fn kind(&self) -> &'static str {
        "password_reset"
    }

    fn content(&self, english: bool, _business: &str) -> Content {
        let Self { name, link } = self;
        if english {
            Content {
                subject: "Reset your password".into(),
                paragraphs: vec![
                    format!(
                        "Hi {name}, you asked to reset your password. The link works once and expires in an hour."
                    ),
                    "If this was not you, ignore this email.".into(),
                ],
                button: Some(("Choose a new password".into(), (*link).into())),
            }
        } else {
            Content {
                subject: "Restablece tu contraseña".into(),
                paragraphs: vec![
                    format!(
                        "Hola {name}, pediste restablecer tu contraseña. El enlace sirve una vez y vence en una hora."
                    ),
                    "Si no fuiste tú, ignora este correo.".into(),
                ],
                button: Some(("Elegir contraseña nueva".into(), (*link).into())),
            }
        }
    }
}

pub struct LoginLocked<'a> {
    pub name: &'a str,
    pub minutes: u64,
}

impl EmailTemplate for LoginLocked<'_> {
    fn kind(&self) -> &'static str {
        "login_locked"
    }

    fn content(&self, english: bool, _business: &str) -> Content {
        let Self { name, minutes } = self;
        if english {
            Content {
                subject: "Sign-ins to your account are paused".into(),
                paragraphs: vec![
                    format!(
                        "Hi {name}, someone entered a wrong password for your account many times, \
                         so signing in is paused for {minutes} minutes."
                    ),
                    "If this was not you, reset your password once the pause ends.".into(),
                ],
                button: None,
            }
        } else {
            Content {
                subject: "Pausamos los inicios de sesión en tu cuenta".into(),
                paragraphs: vec![
                    format!(
                        "Hola {name}, alguien escribió una contraseña equivocada para tu cuenta \
                         muchas veces, así que pausamos los inicios de sesión por {minutes} minutos."
                    ),
                    "Si no fuiste tú, restablece tu contraseña cuando termine la pausa.".into(),
                ],
                button: None,
            }
        }
    }
}

pub struct NewLogin<'a> {
    pub name: &'a str,
    pub ip: &'a str,
    pub device: &'a str,
    pub at: DateTime<Utc>,
}

impl EmailTemplate for NewLogin<'_> {
    fn kind(&self) -> &'static str {
        "new_login"
    }

    fn content(&self, english: bool, business: &str) -> Content {
        let Self {
            name,
            ip,
            device,
            at,
        } = self;
        if english {
            Content {
                subject: format!("New sign-in to {business}"),
                paragraphs: vec![
                    format!(
                        "Hi {name}, someone signed in to your account on {} from {ip} ({device}).",
                        timestamp(at)
                    ),
                    "If this was not you, change your password now.".into(),
                ],
                button: None,
            }
        } else {
            Content {
                subject: format!("Nuevo inicio de sesión en {business}"),
                paragraphs: vec![
                    format!(
                        "Hola {name}, alguien inició sesión en tu cuenta el {} desde {ip} ({device}).",
                        timestamp(at)
                    ),
                    "Si no fuiste tú, cambia tu contraseña de inmediato.".into(),
                ],
                button: None,
            }
        }
    }
}
