//! The `tianguis` command: serve, migrate, print the schema, seed demo data.

mod demo;

use anyhow::Context;
use clap::{Parser, Subcommand};
use std::sync::Arc;

use tianguis::{Application, Components, Config, db, telemetry};
use tianguis_domain::ports::SystemClock;
use tianguis_domain::secrets;
use tianguis_domain::tenancy::auth;

// The API allocates many small, short-lived values per request (rows, GraphQL values,
// JSON); mimalloc serves them faster than the system allocator and returns memory to it.
#[global_allocator]
static ALLOCATOR: mimalloc::MiMalloc = mimalloc::MiMalloc;

#[derive(Parser)]
#[command(name = "tianguis", version, about = "Tianguis GraphQL backend")]
struct Cli {
    #[command(subcommand)]
    command: Option<Command>,
}

#[derive(Subcommand)]
enum Command {
    /// Serve the API (the default); also runs workers unless TIANGUIS_IN_PROCESS_WORKERS=false.
    Serve,
    /// Run only the worker pool and the event dispatcher.
    Worker,
    /// Apply, revert or list database migrations.
    Migrate {
        #[command(subcommand)]
        action: MigrateAction,
    },
    /// Print the GraphQL schema (SDL).
    Schema,
    /// Create demo data.
    Seed {
        /// A demo business with its owner; prints how to log in. Without a kind, the sales
        /// (CRM) demo.
        #[arg(long, value_enum, num_args = 0..=1, default_missing_value = "ventas")]
        demo: Option<demo::Demo>,
    },
}

#[derive(Subcommand)]
enum MigrateAction {
    Up,
    Down {
        #[arg(long, default_value_t = 1)]
        steps: u32,
    },
    Status,
}

#[tokio::main]
async fn main() -> anyhow::Result<()> {
    let cli = Cli::parse();
    if let Some(Command::Schema) = cli.command {
        print!("{}", tianguis_api::graphql::sdl());
        return Ok(());
    }
    // A missing .env is normal; a broken one is worth saying.
    if let Err(err) = dotenvy::dotenv()
        && !err.not_found()
    {
        eprintln!("ignoring .env: {err}");
    }
    let config = match Config::from_env() {
        Ok(config) => config,
        Err(err) => {
            eprintln!("configuration error: {err}");
            std::process::exit(2);
        }
    };
    telemetry::init(&config);
    match cli.command.unwrap_or(Command::Serve) {
        Command::Serve => serve(config).await,
        Command::Worker => worker(config).await,
        Command::Migrate { action } => match action {
            MigrateAction::Up => db::migrate_up(&config).await,
            MigrateAction::Down { steps } => db::migrate_down(&config, steps).await,
            MigrateAction::Status => {
                for (name, applied) in db::migration_status(&config).await? {
                    println!("{} {name}", if applied { "applied" } else { "pending" });
                }
                Ok(())
            }
        },
        Command::Seed { demo } => {
            let demo = demo.ok_or_else(|| {
                anyhow::anyhow!(
                    "say what to seed: --demo [ventas | carniceria | tienda-ropa | bar]"
                )
            })?;
            seed_demo(config, demo).await
        }
        Command::Schema => Ok(()),
    }
}

async fn serve(config: Config) -> anyhow::Result<()> {
    let app = Application::build(&config).await?;
    tracing::info!(
        addr = %app.local_addr(),
        database = if config.is_postgres() { "postgres" } else { "sqlite" },
        redis = config.redis_url.is_some(),
        "serving; GraphiQL at /graphql"
    );
    let grace = config.shutdown_grace;
    app.run_until(async move {
        shutdown_signal().await;
        tracing::info!(
            grace_secs = grace.as_secs(),
            "shutting down: draining in-flight requests"
        );
        // A second signal, or the grace period, ends the drain by force.
        tokio::spawn(async move {
            tokio::select! {
                () = shutdown_signal() => {}
                () = tokio::time::sleep(grace) => {}
            }
            tracing::warn!("drain did not finish in time; exiting");
            std::process::exit(1);
        });
    })
    .await
}

async fn worker(config: Config) -> anyhow::Result<()> {
    let components = Components::build(&config, Arc::new(SystemClock)).await?;
    let (stop_tx, stop_rx) = tokio::sync::watch::channel(false);
    tokio::spawn(async move {
        shutdown_signal().await;
        tracing::info!("shutting down: letting running jobs finish");
        let _ = stop_tx.send(true);
    });
    let (ops, background) = tokio::join!(
        components.serve_ops(config.addr, stop_rx.clone()),
        components.run_background(stop_rx),
    );
    ops.and(background)
}

async fn shutdown_signal() {
    let ctrl_c = async {
        tokio::signal::ctrl_c().await.ok();
    };
    #[cfg(unix)]
    let terminate = async {
        match tokio::signal::unix::signal(tokio::signal::unix::SignalKind::terminate()) {
            Ok(mut signal) => {
                signal.recv().await;
            }
            Err(_) => std::future::pending::<()>().await,
        }
    };
    #[cfg(not(unix))]
    let terminate = std::future::pending::<()>();
    tokio::select! {
        () = ctrl_c => {}
        () = terminate => {}
    }
}

async fn seed_demo(config: Config, demo: demo::Demo) -> anyhow::Result<()> {
    // No listener: seeding works while a server is running.
    let app = Components::build(&config, Arc::new(SystemClock)).await?;
    let (business, slug) = demo.business();
    let email = format!("{slug}@tianguis.mx");
    let email = email.as_str();
    let password = format!("demo-{}", secrets::random_token(12));
    let result = auth::sign_up(
        &app.state.deps,
        &Default::default(),
        auth::SignUp {
            business_name: business.into(),
            slug: Some(slug.into()),
            email: email.into(),
            password: password.clone(),
            display_name: "Demo Owner".into(),
            country: None,
            timezone: None,
            currency: None,
            locale: None,
        },
    )
    .await;
    match result {
        Ok(tokens) => {
            let deps = &app.state.deps;
            let ctx = auth::authenticate(deps, &tokens.access_token, Default::default()).await?;
            if demo == demo::Demo::Ventas {
                seed_demo_sales(deps, &ctx)
                    .await
                    .context("creating the demo sales data")?;
                println!("Demo business '{slug}' created, with customers, leads and a proposal.");
            } else {
                let held = demo::fill(deps, &ctx, demo)
                    .await
                    .with_context(|| format!("filling the demo shop '{slug}'"))?;
                println!("Demo business '{slug}' created: {held}.");
            }
            println!("Log in with email {email} and password {password}");
            println!(
                "  mutation {{ logIn(input: {{email: \"{email}\", password: \"{password}\"}}) {{ accessToken }} }}"
            );
            Ok(())
        }
        Err(tianguis_domain::Error::Conflict { .. }) => {
            println!("The demo business already exists (email {email}).");
            Ok(())
        }
        Err(err) => Err(err).context("creating the demo business"),
    }
}

/// A few customers, leads across the pipeline, activities, a task and a proposal, so a
/// front end has something to show at once.
async fn seed_demo_sales(
    deps: &tianguis_domain::Deps,
    ctx: &tianguis_domain::TenantCtx,
) -> anyhow::Result<()> {
    use tianguis_domain::crm::{activities, companies, contacts, leads, pipelines, proposals};

    let pipeline = pipelines::get(deps, ctx, None).await?;
    let stages = pipelines::stages_of(deps, ctx, &[pipeline.id])
        .await?
        .remove(&pipeline.id)
        .unwrap_or_default();
    let company = companies::create(
        deps,
        ctx,
        companies::CompanyInput {
            name: Some("Taquería El Güero".into()),
            legal_name: Some("El Güero Alimentos".into()),
            rfc: Some("GAL9003173C9".into()),
            tax_regime: Some("601".into()),
            postal_code: Some("06600".into()),
            city: Some("Ciudad de México".into()),
            tags: Some(vec!["restaurante".into()]),
            ..Default::default()
        },
        false,
    )
    .await?;
    let people = [
        (
            "Lupita",
            "Gómez",
            "lupita@example.mx",
            "55 1234 5678",
            Some(company.id),
        ),
        ("Beto", "Ramírez", "beto@example.mx", "33 3616 1234", None),
        ("Mari", "Hernández", "mari@example.mx", "81 8123 4567", None),
    ];
    let mut contact_ids = Vec::new();
    for (first, last, email, phone, company_id) in people {
        let contact = contacts::create(
            deps,
            ctx,
            contacts::ContactInput {
                first_name: Some(first.into()),
                last_name: Some(last.into()),
                email: Some(email.into()),
                phone: Some(phone.into()),
                company_id: Some(company_id),
                ..Default::default()
            },
            false,
        )
        .await?;
        contact_ids.push(contact.id);
    }
    let deals = [
        (
            "Refrigerador para carnes",
            0,
            leads::Source::Referral,
            "48500",
        ),
        (
            "Vitrina de pan dulce",
            1,
            leads::Source::Whatsapp,
            "23999.90",
        ),
        ("Sistema de riego por goteo", 2, leads::Source::Web, "85000"),
    ];
    let mut lead_ids = Vec::new();
    for ((title, who, source, value), stage) in deals.into_iter().zip(stages.iter().skip(1)) {
        let lead = leads::create(
            deps,
            ctx,
            leads::NewLead {
                fields: leads::LeadInput {
                    title: Some(title.into()),
                    contact_id: Some(Some(contact_ids[who])),
                    source: Some(source),
                    value: Some(value.parse()?),
                    ..Default::default()
                },
                pipeline_id: Some(pipeline.id),
                stage_id: Some(stage.id),
                attribution: Default::default(),
            },
        )
        .await?;
        activities::create(
            deps,
            ctx,
            activities::ActivityInput {
                kind: Some(activities::Kind::Call),
                subject: Some(format!("Llamada sobre {title}")),
                lead_id: Some(lead.id),
                ..Default::default()
            },
        )
        .await?;
        lead_ids.push(lead.id);
    }
    activities::create(
        deps,
        ctx,
        activities::ActivityInput {
            kind: Some(activities::Kind::Task),
            subject: Some("Enviar catálogo".into()),
            lead_id: lead_ids.first().copied(),
            due_at: Some(Some(chrono::Utc::now() + chrono::TimeDelta::days(1))),
            ..Default::default()
        },
    )
    .await?;
    proposals::create(
        deps,
        ctx,
        proposals::ProposalInput {
            title: Some("Refrigerador para carnes".into()),
            lead_id: Some(lead_ids.first().copied()),
            items: Some(vec![proposals::ItemInput {
                product_id: None,
                description: "Refrigerador de 2 puertas".into(),
                quantity: "1".parse()?,
                unit_price: "48500".parse()?,
                discount: None,
                tax: tianguis_domain::pricing::Tax::Iva16,
                withholdings: vec![],
            }]),
            ..Default::default()
        },
        None,
    )
    .await?;
    Ok(())
}
