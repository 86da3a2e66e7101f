//! Demo businesses for `tianguis seed --demo …`: for the shops (carniceria, tienda-ropa,
//! bar) a believable catalog with stock, an open till, a day's tickets and orders, and for
//! the bar prepaid wristbands and the reader that charges them; a clinic's doctors and
//! appointments (clinica); an events agency's staff, equipment, events and payroll
//! (eventos). Everything goes through the use cases, as the API would.

use anyhow::Context;
use rust_decimal::Decimal;
use tianguis_domain::commerce::amounts::Unit;
use tianguis_domain::commerce::{catalog, orders, pos, prepaid, price_lists, stock};
use tianguis_domain::pricing::Tax;
use tianguis_domain::{Deps, TenantCtx};
use uuid::Uuid;

/// The demo shops a business can start from.
#[derive(Clone, Copy, Debug, PartialEq, Eq, clap::ValueEnum)]
pub enum Demo {
    /// Customers, leads and a proposal: the CRM.
    Ventas,
    /// A butcher's: meat by the kilo, IVA 0 %, orders over WhatsApp for delivery.
    Carniceria,
    /// A clothing store: sizes × colours with barcodes, a wholesale price list.
    TiendaRopa,
    /// A bar: drinks with IEPS, prepaid wristbands and the reader at the bar.
    Bar,
    /// A clinic: two doctors with their hours, two services and a week of appointments.
    Clinica,
    /// An events agency: DJs and a technician, sound and lights, weddings and XV años,
    /// and last week's payroll.
    Eventos,
}

impl Demo {
    pub fn business(self) -> (&'static str, &'static str) {
        match self {
            Demo::Ventas => ("Abarrotes Demo", "demo"),
            Demo::Carniceria => ("Carnicería La Norteña", "carniceria"),
            Demo::TiendaRopa => ("Boutique Jacaranda", "tienda-ropa"),
            Demo::Bar => ("Bar El Mezcalito", "bar"),
            Demo::Clinica => ("Clínica Dental Sonrisas", "clinica"),
            Demo::Eventos => ("Eventos Luna DJ", "eventos"),
        }
    }
}

fn d(text: &str) -> Decimal {
    text.parse().unwrap_or_default()
}

/// One product line of a demo catalog: name, unit, tax, IEPS, and its variants as
/// (option values, price, cost, quantity received).
struct Item {
    name: &'static str,
    unit: Unit,
    tax: Tax,
    ieps: Option<&'static str>,
    options: &'static [&'static str],
    variants: &'static [(
        &'static [&'static str],
        &'static str,
        &'static str,
        &'static str,
    )],
}

struct Shop {
    location: Uuid,
    session: Uuid,
    /// Every variant, in catalog order.
    variants: Vec<Uuid>,
}

async fn open_shop(
    deps: &Deps,
    ctx: &TenantCtx,
    place: &str,
    catalog_items: &[Item],
) -> anyhow::Result<Shop> {
    let location = stock::create_location(
        deps,
        ctx,
        stock::LocationInput {
            name: Some(place.into()),
            ..Default::default()
        },
    )
    .await?;
    let mut variants = Vec::new();
    let mut receipts = Vec::new();
    for (n, item) in catalog_items.iter().enumerate() {
        let inputs = item
            .variants
            .iter()
            .enumerate()
            .map(|(v, (values, price, cost, _))| catalog::VariantInput {
                sku: Some(format!("D{n:02}{v:02}")),
                option_values: Some(values.iter().map(|s| (*s).to_owned()).collect()),
                price: Some(d(price)),
                cost: Some(d(cost)),
                low_stock_threshold: Some(Some(d("2"))),
                ..Default::default()
            })
            .collect();
        let (_, created) = catalog::create_product(
            deps,
            ctx,
            catalog::ProductInput {
                name: Some(item.name.into()),
                unit: Some(item.unit),
                tax: Some(item.tax),
                ieps_rate: Some(item.ieps.map(d)),
                option_names: Some(item.options.iter().map(|s| (*s).to_owned()).collect()),
                ..Default::default()
            },
            inputs,
        )
        .await
        .with_context(|| format!("creating {}", item.name))?;
        for (variant, (_, _, cost, quantity)) in created.iter().zip(item.variants) {
            variants.push(variant.id);
            receipts.push(stock::ReceiptLine {
                variant_id: variant.id,
                quantity: d(quantity),
                unit_cost: d(cost),
            });
        }
    }
    stock::receive(
        deps,
        ctx,
        location.id,
        receipts,
        Some("Inventario inicial".into()),
    )
    .await?;
    let register = pos::create_register(deps, ctx, "Caja 1", location.id).await?;
    let session = pos::open_session(deps, ctx, register.id, d("1000")).await?;
    Ok(Shop {
        location: location.id,
        session: session.id,
        variants,
    })
}

/// A cash sale of `(variant index, quantity)` lines, paid with the next round amount.
async fn sell(
    deps: &Deps,
    ctx: &TenantCtx,
    shop: &Shop,
    lines: &[(usize, &str)],
    method: pos::PaymentMethod,
    paid: &str,
) -> anyhow::Result<()> {
    pos::create_ticket(
        deps,
        ctx,
        pos::TicketInput {
            session_id: shop.session,
            idempotency_key: Uuid::new_v4().to_string(),
            contact_id: None,
            price_list_id: None,
            lines: lines
                .iter()
                .map(|(v, q)| pos::LineInput {
                    variant_id: Some(shop.variants[*v]),
                    code: None,
                    quantity: d(q),
                    discount: None,
                })
                .collect(),
            payments: vec![pos::PaymentInput {
                method,
                amount: d(paid),
                reference: (method == pos::PaymentMethod::Card).then(|| "AUT 0412".into()),
                card_uid: None,
            }],
            note: None,
        },
    )
    .await?;
    Ok(())
}

async fn contact(
    deps: &Deps,
    ctx: &TenantCtx,
    first: &str,
    phone: &str,
    tags: &[&str],
) -> anyhow::Result<Uuid> {
    use tianguis_domain::crm::contacts;
    Ok(contacts::create(
        deps,
        ctx,
        contacts::ContactInput {
            first_name: Some(first.into()),
            phone: Some(phone.into()),
            tags: Some(tags.iter().map(|t| (*t).to_owned()).collect()),
            ..Default::default()
        },
        false,
    )
    .await?
    .id)
}

async fn order(
    deps: &Deps,
    ctx: &TenantCtx,
    shop: &Shop,
    customer: Uuid,
    lines: &[(usize, &str)],
    address: Option<orders::Address>,
) -> anyhow::Result<orders::SalesOrder> {
    Ok(orders::create(
        deps,
        ctx,
        orders::OrderInput {
            contact_id: Some(customer),
            location_id: Some(shop.location),
            lines: lines
                .iter()
                .map(|(v, q)| orders::LineInput {
                    variant_id: Some(shop.variants[*v]),
                    code: None,
                    quantity: d(q),
                    discount: None,
                })
                .collect(),
            delivery_address: address,
            ..Default::default()
        },
    )
    .await?)
}

const BUTCHER: &[Item] = &[
    Item {
        name: "Arrachera marinada",
        unit: Unit::Kilogram,
        tax: Tax::Iva0,
        ieps: None,
        options: &[],
        variants: &[(&[], "289.90", "190", "40")],
    },
    Item {
        name: "Bistec de res",
        unit: Unit::Kilogram,
        tax: Tax::Iva0,
        ieps: None,
        options: &[],
        variants: &[(&[], "219.50", "150", "60")],
    },
    Item {
        name: "Molida especial",
        unit: Unit::Kilogram,
        tax: Tax::Iva0,
        ieps: None,
        options: &[],
        variants: &[(&[], "169", "110", "50")],
    },
    Item {
        name: "Chorizo norteño",
        unit: Unit::Kilogram,
        tax: Tax::Iva0,
        ieps: None,
        options: &[],
        variants: &[(&[], "149", "90", "25")],
    },
    Item {
        name: "Carbón de mezquite 5 kg",
        unit: Unit::Piece,
        tax: Tax::Iva16,
        ieps: None,
        options: &[],
        variants: &[(&[], "129", "70", "30")],
    },
];

async fn carniceria(deps: &Deps, ctx: &TenantCtx) -> anyhow::Result<String> {
    let shop = open_shop(deps, ctx, "Mostrador", BUTCHER).await?;
    use pos::PaymentMethod::{Card, Cash};
    for (lines, method, paid) in [
        (&[(0, "1.250"), (4, "1")][..], Cash, "500"),
        (&[(1, "2")][..], Card, "439"),
        (&[(2, "0.750"), (3, "0.500")][..], Cash, "250"),
        (&[(0, "2"), (1, "1"), (4, "2")][..], Card, "1057.30"),
        (&[(2, "1")][..], Cash, "200"),
    ] {
        sell(deps, ctx, &shop, lines, method, paid).await?;
    }
    let dona_rosa = contact(
        deps,
        ctx,
        "Doña Rosa",
        "+52 81 8123 4567",
        &["cliente frecuente"],
    )
    .await?;
    let asada = order(
        deps,
        ctx,
        &shop,
        dona_rosa,
        &[(0, "3"), (3, "1"), (4, "2")],
        Some(orders::Address {
            recipient: Some("Rosa Garza".into()),
            phone: Some("+52 81 8123 4567".into()),
            street: "Av. Constitución 1500".into(),
            neighborhood: Some("Centro".into()),
            city: "Monterrey".into(),
            state: Some("Nuevo León".into()),
            postal_code: Some("64000".into()),
            country: "MX".into(),
            directions: Some("Portón negro, tocar fuerte".into()),
        }),
    )
    .await?;
    orders::confirm(deps, ctx, asada.id).await?;
    orders::record_payment(
        deps,
        ctx,
        asada.id,
        orders::PaymentInput {
            method: orders::OrderPaymentMethod::Transfer,
            amount: d("500"),
            reference: Some("SPEI 7781".into()),
        },
    )
    .await?;
    Ok("5 cuts by the kilo with stock, 5 tickets, an order for delivery half paid".into())
}

const CLOTHES: &[Item] = &[
    Item {
        name: "Playera básica",
        unit: Unit::Piece,
        tax: Tax::Iva16,
        ieps: None,
        options: &["Talla", "Color"],
        variants: &[
            (&["CH", "Blanco"], "199", "80", "12"),
            (&["M", "Blanco"], "199", "80", "15"),
            (&["G", "Blanco"], "199", "80", "10"),
            (&["CH", "Negro"], "199", "80", "12"),
            (&["M", "Negro"], "199", "80", "15"),
            (&["G", "Negro"], "199", "80", "8"),
        ],
    },
    Item {
        name: "Jeans corte recto",
        unit: Unit::Piece,
        tax: Tax::Iva16,
        ieps: None,
        options: &["Talla"],
        variants: &[
            (&["28"], "649", "320", "6"),
            (&["30"], "649", "320", "8"),
            (&["32"], "649", "320", "8"),
            (&["34"], "649", "320", "5"),
        ],
    },
    Item {
        name: "Sudadera con capucha",
        unit: Unit::Piece,
        tax: Tax::Iva16,
        ieps: None,
        options: &["Talla"],
        variants: &[(&["M"], "549", "260", "6"), (&["G"], "549", "260", "6")],
    },
];

async fn tienda_ropa(deps: &Deps, ctx: &TenantCtx) -> anyhow::Result<String> {
    let shop = open_shop(deps, ctx, "Tienda Centro", CLOTHES).await?;
    use pos::PaymentMethod::{Card, Cash, Transfer};
    for (lines, method, paid) in [
        (&[(1, "2")][..], Cash, "400"),
        (&[(7, "1"), (4, "1")][..], Card, "848"),
        (&[(10, "1")][..], Transfer, "549"),
        (&[(0, "1"), (3, "1"), (8, "1")][..], Card, "1047"),
    ] {
        sell(deps, ctx, &shop, lines, method, paid).await?;
    }
    let wholesale = price_lists::create(deps, ctx, "Mayoreo", Some("mayoreo")).await?;
    price_lists::set_prices(
        deps,
        ctx,
        wholesale.id,
        shop.variants[..6]
            .iter()
            .map(|v| price_lists::PriceInput {
                variant_id: *v,
                price: Some(d("149")),
            })
            .collect(),
    )
    .await?;
    let reseller = contact(
        deps,
        ctx,
        "Karla (revendedora)",
        "+52 33 3616 9090",
        &["mayoreo"],
    )
    .await?;
    let bulk = order(deps, ctx, &shop, reseller, &[(1, "6"), (4, "6")], None).await?;
    orders::confirm(deps, ctx, bulk.id).await?;
    Ok(format!(
        "3 products in {} sizes and colours, 4 tickets, a wholesale price list and a reseller's order at it",
        shop.variants.len()
    ))
}

const BAR: &[Item] = &[
    Item {
        name: "Cerveza clara 355 ml",
        unit: Unit::Piece,
        tax: Tax::Iva16,
        ieps: Some("0.265"),
        options: &[],
        variants: &[(&[], "55", "18", "240")],
    },
    Item {
        name: "Mezcal espadín (copa)",
        unit: Unit::Piece,
        tax: Tax::Iva16,
        ieps: Some("0.53"),
        options: &[],
        variants: &[(&[], "120", "35", "80")],
    },
    Item {
        name: "Refresco 355 ml",
        unit: Unit::Piece,
        tax: Tax::Iva16,
        ieps: None,
        options: &[],
        variants: &[(&[], "35", "12", "120")],
    },
    Item {
        name: "Papas a la francesa",
        unit: Unit::Piece,
        tax: Tax::Iva16,
        ieps: None,
        options: &[],
        variants: &[(&[], "85", "25", "60")],
    },
];

async fn bar(deps: &Deps, ctx: &TenantCtx) -> anyhow::Result<String> {
    let shop = open_shop(deps, ctx, "Barra", BAR).await?;
    use pos::PaymentMethod::{Card, Cash};
    for (lines, method, paid) in [
        (&[(0, "4"), (3, "1")][..], Cash, "320"),
        (&[(1, "2"), (2, "2")][..], Card, "310"),
        (&[(0, "6")][..], Card, "330"),
    ] {
        sell(deps, ctx, &shop, lines, method, paid).await?;
    }
    let guest = contact(deps, ctx, "Memo", "+52 55 5555 0101", &[]).await?;
    let wristband = prepaid::issue(
        deps,
        ctx,
        "04A1B2C3D4E5F6",
        Some(guest),
        Some("Pulsera VIP".into()),
    )
    .await?;
    prepaid::top_up(
        deps,
        ctx,
        wristband.id,
        shop.session,
        d("500"),
        pos::PaymentMethod::Cash,
        "seed-top-up-1",
    )
    .await?;
    let (reader, token) = tianguis_domain::iot::devices::create(
        deps,
        ctx,
        tianguis_domain::iot::devices::DeviceInput {
            name: Some("Lector de pulseras (barra)".into()),
            device_type: Some("reader".into()),
            ..Default::default()
        },
    )
    .await?;
    prepaid::charge_by_device(
        deps,
        ctx.tenant_id,
        reader.id,
        &wristband.uid,
        d("110"),
        "seed-charge-1",
    )
    .await?;
    Ok(format!(
        "4 drinks and snacks (with IEPS), 3 tickets, wristband {} with 390.00 left, and its reader.\n\
         The reader charges with: curl -X POST <server>/api/v1/prepaid/charges -H 'Authorization: Bearer {token}' \
         -d '{{\"cardUid\":\"{}\",\"amount\":\"55\",\"transactionId\":\"1\"}}'",
        wristband.uid, wristband.uid
    ))
}

async fn clinica(deps: &Deps, ctx: &TenantCtx) -> anyhow::Result<String> {
    use chrono::{NaiveTime, TimeDelta, Weekday};
    use tianguis_domain::scheduling::{appointments, setup};
    let time = |h: u32| NaiveTime::from_hms_opt(h, 0, 0).unwrap_or_default();
    let mut doctors = Vec::new();
    for name in ["Dra. Paty Garza", "Dr. Luis Treviño"] {
        let doctor = setup::create_resource(
            deps,
            ctx,
            setup::ResourceInput {
                name: Some(name.into()),
                ..Default::default()
            },
        )
        .await?;
        // Mornings and afternoons, Monday to Friday, with a break for lunch.
        let hours = [
            Weekday::Mon,
            Weekday::Tue,
            Weekday::Wed,
            Weekday::Thu,
            Weekday::Fri,
        ]
        .into_iter()
        .flat_map(|weekday| {
            [(9, 14), (16, 19)].map(|(opens, closes)| setup::HoursInput {
                weekday,
                opens: time(opens),
                closes: time(closes),
            })
        })
        .collect();
        setup::set_hours(deps, ctx, doctor.id, hours).await?;
        doctors.push(doctor.id);
    }
    let mut services = Vec::new();
    for (name, minutes, after, price) in [
        ("Consulta de valoración", 30, 0, "450"),
        ("Limpieza dental", 60, 15, "900"),
    ] {
        services.push(
            setup::create_service(
                deps,
                ctx,
                setup::ServiceInput {
                    name: Some(name.into()),
                    duration_minutes: Some(minutes),
                    buffer_after_minutes: Some(after),
                    interval_minutes: Some(30),
                    price: Some(d(price)),
                    resource_ids: Some(doctors.clone()),
                    ..Default::default()
                },
            )
            .await?,
        );
    }
    // A week ahead, spread over the days: each patient takes a slot still free.
    let today = deps.clock.now().date_naive();
    let week = (today + TimeDelta::days(1), today + TimeDelta::days(7));
    let mut booked = 0;
    for service in &services {
        for pick in 0..8_usize {
            let free =
                appointments::availability(deps, ctx, service.id, week.0, week.1, None).await?;
            let Some(slot) = free.get(pick * 7 % free.len().max(1)) else {
                break;
            };
            let patient = contact(
                deps,
                ctx,
                &format!("Paciente {}", booked + 1),
                &format!("+52 81 1234 {:04}", booked + 1),
                &[],
            )
            .await?;
            appointments::book(
                deps,
                ctx,
                appointments::BookInput {
                    service_id: service.id,
                    resource_id: Some(slot.resource_id),
                    contact_id: Some(patient),
                    starts_at: slot.starts_at,
                    notes: None,
                    remind_via: None,
                },
            )
            .await?;
            booked += 1;
        }
    }
    Ok(format!(
        "2 doctors with their hours, 2 services and {booked} appointments in the coming week"
    ))
}

async fn eventos(deps: &Deps, ctx: &TenantCtx) -> anyhow::Result<String> {
    use chrono::{Datelike, TimeDelta};
    use tianguis_domain::scheduling::events::{self, EventInput, EventPaymentMethod, EventStatus};
    use tianguis_domain::scheduling::payroll::{self, PayAppliesTo, PayBasis, PayRuleInput};
    use tianguis_domain::scheduling::setup::{self, ResourceInput, ResourceKind};
    let resource = |name: &str, kind, quantity| {
        setup::create_resource(
            deps,
            ctx,
            ResourceInput {
                kind: Some(kind),
                name: Some(name.into()),
                quantity,
                ..Default::default()
            },
        )
    };
    let mut djs = Vec::new();
    for name in ["DJ Beto", "DJ Karla", "DJ Memo"] {
        djs.push(resource(name, ResourceKind::Staff, None).await?.id);
    }
    let technician = resource("Toño (técnico)", ResourceKind::Staff, None)
        .await?
        .id;
    let speakers = resource("Bocina 15\" activa", ResourceKind::Equipment, Some(6))
        .await?
        .id;
    let lights = resource("Cabeza móvil", ResourceKind::Equipment, Some(8))
        .await?
        .id;
    // DJs earn a fee per event, the technician by the hour, and the lead DJ a share.
    for (who, basis, amount, percent) in [
        (djs[0], PayBasis::Percent, None, Some("10")),
        (djs[1], PayBasis::Fixed, Some("2500"), None),
        (djs[2], PayBasis::Fixed, Some("2500"), None),
        (technician, PayBasis::Hourly, Some("150"), None),
    ] {
        payroll::create_rule(
            deps,
            ctx,
            PayRuleInput {
                resource_id: who,
                applies_to: PayAppliesTo::Events,
                role: None,
                basis,
                amount: amount.map(d),
                percent: percent.map(d),
            },
        )
        .await?;
    }
    // Evenings at 20:00 in Mexico (02:00 UTC the next day): last Friday and Saturday,
    // worked and paid, and two weekends ahead.
    let now = deps.clock.now();
    let this_monday =
        now.date_naive() - TimeDelta::days(now.weekday().num_days_from_monday().into());
    let last_monday = this_monday - TimeDelta::days(7);
    let evening = |day: chrono::NaiveDate| {
        (day + TimeDelta::days(1))
            .and_hms_opt(2, 0, 0)
            .unwrap_or_default()
            .and_utc()
    };
    let plans = [
        (
            "Boda Martínez–Garza",
            "boda",
            "Quinta Los Álamos",
            "Paquete Platino",
            "38000",
            last_monday + TimeDelta::days(4),
            djs[0],
            true,
        ),
        (
            "XV años de Valeria",
            "xv años",
            "Salón Imperial",
            "Paquete Oro",
            "24000",
            last_monday + TimeDelta::days(5),
            djs[1],
            true,
        ),
        (
            "Posada Grupo Regio",
            "corporativo",
            "Hotel Ancira",
            "Paquete Empresa",
            "30000",
            this_monday + TimeDelta::days(12),
            djs[2],
            false,
        ),
        (
            "Boda Salinas–Cantú",
            "boda",
            "Hacienda San Pedro",
            "Paquete Platino",
            "42000",
            this_monday + TimeDelta::days(19),
            djs[0],
            false,
        ),
    ];
    for (n, (title, kind, venue, package, price, day, dj, worked)) in plans.into_iter().enumerate()
    {
        let client = contact(
            deps,
            ctx,
            &format!("Cliente {title}"),
            &format!("+52 81 5555 {:04}", n + 1),
            &["eventos"],
        )
        .await?;
        let starts = evening(day);
        let price = d(price);
        let event = events::create(
            deps,
            ctx,
            EventInput {
                title: Some(title.into()),
                kind: Some(kind.into()),
                contact_id: Some(Some(client)),
                starts_at: Some(starts),
                ends_at: Some(starts + TimeDelta::hours(6)),
                travel_minutes: Some(60),
                venue: Some(Some(venue.into())),
                package: Some(Some(package.into())),
                price: Some(price),
                deposit: Some(price * d("0.3")),
                deposit_due_on: Some(Some(starts.date_naive() - TimeDelta::days(30))),
                balance_due_on: Some(Some(starts.date_naive() - TimeDelta::days(3))),
                ..Default::default()
            },
        )
        .await?;
        events::assign_staff(deps, ctx, event.id, dj, "dj").await?;
        events::assign_staff(deps, ctx, event.id, technician, "técnico").await?;
        events::reserve_equipment(deps, ctx, event.id, speakers, 4).await?;
        events::reserve_equipment(deps, ctx, event.id, lights, 6).await?;
        for task in ["Confirmar canciones de entrada", "Probar audio en el salón"] {
            events::add_task(deps, ctx, event.id, task, None).await?;
        }
        let deposit = price * d("0.3");
        events::record_payment(
            deps,
            ctx,
            event.id,
            deposit,
            EventPaymentMethod::Transfer,
            None,
        )
        .await?;
        if worked {
            events::record_payment(
                deps,
                ctx,
                event.id,
                price - deposit,
                EventPaymentMethod::Cash,
                None,
            )
            .await?;
            events::set_status(deps, ctx, event.id, EventStatus::Done).await?;
            events::set_status(deps, ctx, event.id, EventStatus::Closed).await?;
        }
    }
    let period =
        payroll::open_period(deps, ctx, payroll::PayrollFrequency::Weekly, last_monday).await?;
    Ok(format!(
        "3 DJs and a technician, sound and lights, 4 events (2 worked last week, 2 coming) and last week's payroll of {} {}",
        Decimal::new(period.total_minor, 2),
        period.currency
    ))
}

/// Fills a new demo business; what it holds, to print.
pub async fn fill(deps: &Deps, ctx: &TenantCtx, demo: Demo) -> anyhow::Result<String> {
    match demo {
        Demo::Ventas => Ok(String::new()),
        Demo::Carniceria => carniceria(deps, ctx).await,
        Demo::TiendaRopa => tienda_ropa(deps, ctx).await,
        Demo::Bar => bar(deps, ctx).await,
        Demo::Clinica => clinica(deps, ctx).await,
        Demo::Eventos => eventos(deps, ctx).await,
    }
}
