//! The SAT catalogues (Anexo 20, CFDI 4.0) an invoice's fiscal fields are checked against,
//! so a bad combination answers BAD_USER_INPUT before any PAC sees it.

use crate::rules::TAX_REGIMES;
use crate::{Error, Result};

/// Persona física (13-character RFC) or moral (12).
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Persona {
    Fisica,
    Moral,
}

impl Persona {
    pub fn of_rfc(rfc: &str) -> Self {
        if rfc.chars().count() == 12 {
            Persona::Moral
        } else {
            Persona::Fisica
        }
    }
}

/// The RFC of sales to the general public, with SAT's fixed receiver data.
pub const PUBLIC_RFC: &str = "XAXX010101000";
pub const PUBLIC_NAME: &str = "PUBLICO EN GENERAL";

/// c_RegimenFiscal: which kind of taxpayer may be in each regime.
fn regime_applies(regime: &str, persona: Persona) -> bool {
    let (fisica, moral) = match regime {
        "601" | "603" | "620" | "622" | "623" | "624" => (false, true),
        "610" | "626" => (true, true),
        _ => (true, false),
    };
    match persona {
        Persona::Fisica => fisica,
        Persona::Moral => moral,
    }
}

const BUSINESS: &[&str] = &[
    "601", "603", "606", "612", "620", "621", "622", "623", "624", "625", "626",
];
const DEDUCTIONS: &[&str] = &[
    "605", "606", "608", "611", "612", "614", "607", "615", "625",
];
const ANY: &[&str] = &[
    "601", "603", "605", "606", "608", "610", "611", "612", "614", "616", "620", "621", "622",
    "623", "624", "607", "615", "625", "626",
];

/// c_UsoCFDI: code, description, whether a moral person may use it, and the receiver
/// regimes it is allowed with.
pub const CFDI_USES: &[CfdiUse] = &[
    ("G01", "Adquisición de mercancías", true, BUSINESS),
    (
        "G02",
        "Devoluciones, descuentos o bonificaciones",
        true,
        BUSINESS,
    ),
    ("G03", "Gastos en general", true, BUSINESS),
    ("I01", "Construcciones", true, BUSINESS),
    (
        "I02",
        "Mobiliario y equipo de oficina por inversiones",
        true,
        BUSINESS,
    ),
    ("I03", "Equipo de transporte", true, BUSINESS),
    ("I04", "Equipo de computo y accesorios", true, BUSINESS),
    (
        "I05",
        "Dados, troqueles, moldes, matrices y herramental",
        true,
        BUSINESS,
    ),
    ("I06", "Comunicaciones telefónicas", true, BUSINESS),
    ("I07", "Comunicaciones satelitales", true, BUSINESS),
    ("I08", "Otra maquinaria y equipo", true, BUSINESS),
    (
        "D01",
        "Honorarios médicos, dentales y gastos hospitalarios",
        false,
        DEDUCTIONS,
    ),
    (
        "D02",
        "Gastos médicos por incapacidad o discapacidad",
        false,
        DEDUCTIONS,
    ),
    ("D03", "Gastos funerales", false, DEDUCTIONS),
    ("D04", "Donativos", false, DEDUCTIONS),
    (
        "D05",
        "Intereses reales efectivamente pagados por créditos hipotecarios (casa habitación)",
        false,
        DEDUCTIONS,
    ),
    ("D06", "Aportaciones voluntarias al SAR", false, DEDUCTIONS),
    (
        "D07",
        "Primas por seguros de gastos médicos",
        false,
        DEDUCTIONS,
    ),
    (
        "D08",
        "Gastos de transportación escolar obligatoria",
        false,
        DEDUCTIONS,
    ),
    (
        "D09",
        "Depósitos en cuentas para el ahorro, primas que tengan como base planes de pensiones",
        false,
        DEDUCTIONS,
    ),
    (
        "D10",
        "Pagos por servicios educativos (colegiaturas)",
        false,
        DEDUCTIONS,
    ),
    ("S01", "Sin efectos fiscales", true, ANY),
    ("CP01", "Pagos", true, ANY),
    ("CN01", "Nómina", false, &["605"]),
];

/// c_FormaPago.
pub const PAYMENT_FORMS: &[(&str, &str)] = &[
    ("01", "Efectivo"),
    ("02", "Cheque nominativo"),
    ("03", "Transferencia electrónica de fondos"),
    ("04", "Tarjeta de crédito"),
    ("05", "Monedero electrónico"),
    ("06", "Dinero electrónico"),
    ("08", "Vales de despensa"),
    ("12", "Dación en pago"),
    ("13", "Pago por subrogación"),
    ("14", "Pago por consignación"),
    ("15", "Condonación"),
    ("17", "Compensación"),
    ("23", "Novación"),
    ("24", "Confusión"),
    ("25", "Remisión de deuda"),
    ("26", "Prescripción o caducidad"),
    ("27", "A satisfacción del acreedor"),
    ("28", "Tarjeta de débito"),
    ("29", "Tarjeta de servicios"),
    ("30", "Aplicación de anticipos"),
    ("31", "Intermediario pagos"),
    ("99", "Por definir"),
];

/// c_Exportacion.
pub const EXPORT_CODES: &[(&str, &str)] = &[
    ("01", "No aplica"),
    ("02", "Definitiva con clave A1"),
    ("03", "Temporal"),
    (
        "04",
        "Definitiva con clave distinta a A1 o cuando no existe enajenación",
    ),
];

/// c_Moneda codes this service invoices in.
pub const CURRENCIES: &[&str] = &["MXN", "USD", "EUR"];

fn known(catalog: &[(&str, &str)], code: &str) -> bool {
    catalog.iter().any(|(c, _)| *c == code)
}

pub fn payment_form(raw: &str, field: &'static str) -> Result<String> {
    let code = raw.trim();
    if known(PAYMENT_FORMS, code) {
        Ok(code.to_owned())
    } else {
        Err(Error::invalid(
            field,
            format!("'{code}' is not a SAT payment form (c_FormaPago), e.g. 03 for a transfer"),
        ))
    }
}

type CfdiUse = (&'static str, &'static str, bool, &'static [&'static str]);

fn known_use(raw: &str) -> Result<&'static CfdiUse> {
    let code = raw.trim().to_uppercase();
    CFDI_USES.iter().find(|(c, ..)| *c == code).ok_or_else(|| {
        Error::invalid(
            "receiver.cfdiUse",
            format!("'{code}' is not a SAT CFDI use (c_UsoCFDI), e.g. G03"),
        )
    })
}

pub fn cfdi_use(raw: &str) -> Result<String> {
    Ok(known_use(raw)?.0.to_owned())
}

pub fn export_code(raw: &str) -> Result<String> {
    let code = raw.trim();
    if known(EXPORT_CODES, code) {
        Ok(code.to_owned())
    } else {
        Err(Error::invalid(
            "exportCode",
            format!("'{code}' is not a SAT export code (c_Exportacion), e.g. 01"),
        ))
    }
}

pub fn currency(raw: &str) -> Result<String> {
    let code = raw.trim().to_uppercase();
    if CURRENCIES.contains(&code.as_str()) {
        Ok(code)
    } else {
        Err(Error::invalid(
            "currency",
            format!("invoices are issued in {}", CURRENCIES.join(", ")),
        ))
    }
}

/// Checks a receiver's regime and CFDI use against each other and against the kind of
/// taxpayer its RFC names.
pub fn check_receiver(rfc: &str, regime: &str, cfdi_use: &str) -> Result<()> {
    if !TAX_REGIMES.iter().any(|(c, _)| *c == regime) {
        return Err(Error::invalid(
            "receiver.taxRegime",
            format!("'{regime}' is not a SAT tax regime (c_RegimenFiscal)"),
        ));
    }
    let &(cfdi_use, _, moral_allowed, regimes) = known_use(cfdi_use)?;
    if rfc == PUBLIC_RFC {
        if regime != "616" || cfdi_use != "S01" {
            return Err(Error::invalid(
                "receiver.taxRegime",
                "invoices to the general public (XAXX010101000) use regime 616 and CFDI use S01",
            ));
        }
        return Ok(());
    }
    let persona = Persona::of_rfc(rfc);
    if !regime_applies(regime, persona) {
        return Err(Error::invalid(
            "receiver.taxRegime",
            format!(
                "regime {regime} is not for {} (RFC {rfc})",
                match persona {
                    Persona::Fisica => "individuals",
                    Persona::Moral => "companies",
                }
            ),
        ));
    }
    if persona == Persona::Moral && !moral_allowed {
        return Err(Error::invalid(
            "receiver.cfdiUse",
            format!("CFDI use {cfdi_use} is only for individuals"),
        ));
    }
    if !regimes.contains(&regime) {
        return Err(Error::invalid(
            "receiver.cfdiUse",
            format!(
                "CFDI use {cfdi_use} is not allowed for a receiver in regime {regime}; allowed: {}",
                CFDI_USES
                    .iter()
                    .filter(|(_, _, moral, rs)| rs.contains(&regime)
                        && (persona == Persona::Fisica || *moral))
                    .map(|(c, ..)| *c)
                    .collect::<Vec<_>>()
                    .join(", ")
            ),
        ));
    }
    Ok(())
}

/// SAT's cancellation motives.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum CancellationMotive {
    /// Issued with errors, replaced by another invoice (its UUID is required).
    ErrorsWithRelation,
    ErrorsWithoutRelation,
    /// The operation did not take place.
    NotCarriedOut,
    /// A nominative operation included in a global invoice.
    InGlobalInvoice,
}

impl CancellationMotive {
    pub fn code(self) -> &'static str {
        match self {
            Self::ErrorsWithRelation => "01",
            Self::ErrorsWithoutRelation => "02",
            Self::NotCarriedOut => "03",
            Self::InGlobalInvoice => "04",
        }
    }

    pub fn parse(code: &str) -> Option<Self> {
        [
            Self::ErrorsWithRelation,
            Self::ErrorsWithoutRelation,
            Self::NotCarriedOut,
            Self::InGlobalInvoice,
        ]
        .into_iter()
        .find(|m| m.code() == code)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn field(r: Result<()>) -> String {
        match r {
            Err(Error::Invalid { field, .. }) => field.into_owned(),
            other => panic!("expected invalid, got {other:?}"),
        }
    }

    #[test]
    fn a_company_buying_goods_for_expenses_is_fine() {
        check_receiver("EKU9003173C9", "601", "G03").expect("valid");
        check_receiver("XIQB891116QE4", "612", "G03").expect("valid");
        check_receiver("XIQB891116QE4", "605", "D01").expect("valid");
        check_receiver(PUBLIC_RFC, "616", "S01").expect("valid");
    }

    #[test]
    fn a_use_not_allowed_for_the_regime_names_the_cfdi_use() {
        // Salaried individuals (605) cannot deduct general expenses.
        assert_eq!(
            field(check_receiver("XIQB891116QE4", "605", "G03")),
            "receiver.cfdiUse"
        );
        // Personal deductions are for individuals only.
        assert_eq!(
            field(check_receiver("EKU9003173C9", "601", "D01")),
            "receiver.cfdiUse"
        );
        assert_eq!(
            field(check_receiver("EKU9003173C9", "601", "Z99")),
            "receiver.cfdiUse"
        );
    }

    #[test]
    fn a_regime_for_the_other_kind_of_taxpayer_is_refused() {
        assert_eq!(
            field(check_receiver("EKU9003173C9", "612", "G03")),
            "receiver.taxRegime"
        );
        assert_eq!(
            field(check_receiver("XIQB891116QE4", "601", "G03")),
            "receiver.taxRegime"
        );
        assert_eq!(
            field(check_receiver(PUBLIC_RFC, "601", "G03")),
            "receiver.taxRegime"
        );
    }
}
