//! The emails this context sends, in Spanish and English.

use tianguis_kernel::email::templates::{Content, EmailTemplate};

/// What an email about an appointment says of it, in the business's time zone.
pub struct AppointmentWhen<'a> {
    pub service: &'a str,
    pub staff: &'a str,
    pub date_es: &'a str,
    pub date_en: &'a str,
    pub time: &'a str,
    /// Where the customer confirms, moves or cancels it.
    pub manage_url: Option<&'a str>,
}

/// A booking was made; its `.ics` goes as an attachment.
pub struct AppointmentBooked<'a>(pub AppointmentWhen<'a>);

impl EmailTemplate for AppointmentBooked<'_> {
    fn kind(&self) -> &'static str {
        "appointment_booked"
    }

    fn content(&self, english: bool, business: &str) -> Content {
        let w = &self.0;
        if english {
            Content {
                subject: format!("Your appointment at {business}: {}, {}", w.date_en, w.time),
                paragraphs: vec![
                    format!(
                        "{} with {} on {} at {}.",
                        w.service, w.staff, w.date_en, w.time
                    ),
                    "Add it to your calendar with the attached file.".into(),
                ],
                button: w
                    .manage_url
                    .map(|u| ("Change or cancel".into(), u.to_owned())),
            }
        } else {
            Content {
                subject: format!("Tu cita en {business}: {}, {}", w.date_es, w.time),
                paragraphs: vec![
                    format!(
                        "{} con {} el {} a las {}.",
                        w.service, w.staff, w.date_es, w.time
                    ),
                    "Agrégala a tu calendario con el archivo adjunto.".into(),
                ],
                button: w
                    .manage_url
                    .map(|u| ("Cambiar o cancelar".into(), u.to_owned())),
            }
        }
    }
}

/// An appointment is coming up.
pub struct AppointmentReminder<'a>(pub AppointmentWhen<'a>);

impl EmailTemplate for AppointmentReminder<'_> {
    fn kind(&self) -> &'static str {
        "appointment_reminder"
    }

    fn content(&self, english: bool, business: &str) -> Content {
        let w = &self.0;
        if english {
            Content {
                subject: format!(
                    "Reminder: {} at {business}, {} {}",
                    w.service, w.date_en, w.time
                ),
                paragraphs: vec![format!(
                    "We look forward to seeing you for {} with {} on {} at {}.",
                    w.service, w.staff, w.date_en, w.time
                )],
                button: w
                    .manage_url
                    .map(|u| ("Confirm or cancel".into(), u.to_owned())),
            }
        } else {
            Content {
                subject: format!(
                    "Recordatorio: {} en {business}, {} {}",
                    w.service, w.date_es, w.time
                ),
                paragraphs: vec![format!(
                    "Te esperamos para {} con {} el {} a las {}.",
                    w.service, w.staff, w.date_es, w.time
                )],
                button: w
                    .manage_url
                    .map(|u| ("Confirmar o cancelar".into(), u.to_owned())),
            }
        }
    }
}

/// A slot freed up on the day a customer was waiting for.
pub struct WaitlistOffer<'a> {
    pub when: AppointmentWhen<'a>,
    pub hold_minutes: i32,
    pub take_url: &'a str,
}

impl EmailTemplate for WaitlistOffer<'_> {
    fn kind(&self) -> &'static str {
        "waitlist_offer"
    }

    fn content(&self, english: bool, business: &str) -> Content {
        let w = &self.when;
        if english {
            Content {
                subject: format!("A slot opened at {business}: {} {}", w.date_en, w.time),
                paragraphs: vec![format!(
                    "{} with {} on {} at {} is free. It is held for you for {} minutes.",
                    w.service, w.staff, w.date_en, w.time, self.hold_minutes
                )],
                button: Some(("Book it".into(), self.take_url.to_owned())),
            }
        } else {
            Content {
                subject: format!("Se liberó un lugar en {business}: {} {}", w.date_es, w.time),
                paragraphs: vec![format!(
                    "{} con {} el {} a las {} está libre. Te lo apartamos {} minutos.",
                    w.service, w.staff, w.date_es, w.time, self.hold_minutes
                )],
                button: Some(("Reservar".into(), self.take_url.to_owned())),
            }
        }
    }
}

/// An event's deposit or balance falls due.
pub struct EventPaymentDue<'a> {
    pub event: &'a str,
    pub deposit: bool,
    /// With its currency.
    pub amount: &'a str,
    /// dd/mm/yyyy.
    pub due_on: &'a str,
    pub pay_url: Option<&'a str>,
}

impl EmailTemplate for EventPaymentDue<'_> {
    fn kind(&self) -> &'static str {
        "event_payment_due"
    }

    fn content(&self, english: bool, business: &str) -> Content {
        let button = |label: &str| self.pay_url.map(|u| (label.to_owned(), u.to_owned()));
        if english {
            let what = if self.deposit { "deposit" } else { "balance" };
            Content {
                subject: format!("{business}: the {what} for {} is due", self.event),
                paragraphs: vec![format!(
                    "The {what} of {} for {} is due on {}.",
                    self.amount, self.event, self.due_on
                )],
                button: button("Pay now"),
            }
        } else {
            let what = if self.deposit { "anticipo" } else { "saldo" };
            Content {
                subject: format!("{business}: vence el {what} de {}", self.event),
                paragraphs: vec![format!(
                    "El {what} de {} para {} vence el {}.",
                    self.amount, self.event, self.due_on
                )],
                button: button("Pagar ahora"),
            }
        }
    }
}
