//! The `rewind` command: serve, migrate, and manage users and tokens (opening the database), or
//! speak to a running server as its command-line client (`src/client/`).

use std::time::Duration;

use actix_web::{web, App, HttpServer};
use clap::Parser;
use rewind::app;
use rewind::background::{self, Loops};
use rewind::config::{Cli, Command, LocalCommand, ServeArgs, TokenCommand, UserCommand, WebhookCommand};
use rewind::db::{self, DatabaseUrl};
use rewind::domain::ids::UserId;
use rewind::domain::webhooks::WebhookEvent;
use rewind::runtime::AppState;
use rewind::service::tokens::{self, NewToken};
use rewind::service::{bootstrap, users, webhooks};
use rewind::settings::{ConsoleSettings, Settings, WebhookSettings};
use rewind::{deployment_worker, telemetry};
use tokio::signal::unix::{signal, SignalKind};

type Failure = Box<dyn std::error::Error + Send + Sync>;

fn main() -> std::process::ExitCode {
    let cli = match Cli::try_parse() {
        Ok(cli) => cli,
        Err(e) if e.use_stderr() => {
            // K2: a usage error is exit 2, printed as every other error is.
            let text = e.render().to_string();
            eprint!("error[usage]: {}", text.strip_prefix("error: ").unwrap_or(&text));
            return std::process::ExitCode::from(2);
        }
        Err(e) => e.exit(),
    };
    let command = match cli.command {
        Command::Client(command) => return std::process::ExitCode::from(rewind::client::run(&cli.client, command)),
        Command::Local(command) => command,
    };
    match run(&cli.log_format, &cli.database_url, command) {
        Ok(()) => std::process::ExitCode::SUCCESS,
        Err(e) => {
            eprintln!("error: {e}");
            std::process::ExitCode::FAILURE
        }
    }
}

/// The pool of a one-shot local command, with every stored user name keyed (X2), as `serve` and
/// `migrate` key them: a name stored before names had keys is found by name, and one that cannot
/// be keyed is reported.
fn local_pool(url: &DatabaseUrl) -> Result<db::Pool, Failure> {
    let pool = db::build_pool(url, 1)?;
    let mut conn = pool.get()?;
    for problem in users::key_stored_names(&mut conn)? {
        eprintln!("warning: {problem}");
    }
    drop(conn);
    Ok(pool)
}

fn run(log_format: &str, database_url: &str, command: LocalCommand) -> Result<(), Failure> {
    telemetry::init_tracing(log_format);
    // Test builds only: reads `FAILPOINTS`, kept for the life of the process.
    #[cfg(feature = "failpoints")]
    let _failpoints = fail::FailScenario::setup();
    let url = DatabaseUrl::parse(database_url);
    match command {
        LocalCommand::Serve(args) => serve(url, args),
        LocalCommand::Migrate => {
            let mut conn = db::connect(&url)?;
            db::migrate(&mut conn)?;
            println!("migrations are up to date");
            // X2: stored user names the RFC 8265 profile refuses, or that look like another's.
            for problem in users::key_stored_names(&mut conn)? {
                eprintln!("warning: {problem}");
            }
            Ok(())
        }
        LocalCommand::User(UserCommand::Create { name, role }) => {
            let pool = local_pool(&url)?;
            let mut conn = pool.get()?;
            let user = users::add_user(&mut conn, &name, role)?;
            let new = NewToken { label: Some("cli".into()), expires_in_days: None };
            println!("{}", tokens::issue_token(&mut conn, &UserId::stored(user.id), new, None)?.token);
            Ok(())
        }
        LocalCommand::User(UserCommand::Deactivate { name }) => {
            let pool = local_pool(&url)?;
            let mut conn = pool.get()?;
            let user = users::user_by_name(&mut conn, &name)?;
            users::deactivate(&mut conn, &UserId::stored(user.id))?;
            println!("deactivated user {name}");
            Ok(())
        }
        LocalCommand::Token(TokenCommand::Create { name, label, expires_in_days }) => {
            let pool = local_pool(&url)?;
            let mut conn = pool.get()?;
            let user = users::user_by_name(&mut conn, &name)?;
            println!(
                "{}",
                tokens::issue_token(&mut conn, &UserId::stored(user.id), NewToken { label, expires_in_days }, None)?
                    .token
            );
            Ok(())
        }
        LocalCommand::Token(TokenCommand::Revoke { token_id }) => {
            let pool = local_pool(&url)?;
            let mut conn = pool.get()?;
            let id = rewind::service::parse_id("token_id", &token_id)?;
            tokens::revoke_token_by_id(&mut conn, &id)?;
            println!("revoked token {token_id}");
            Ok(())
        }
        LocalCommand::Webhook(WebhookCommand::Add {
            url: endpoint,
            events,
            environments,
            description,
            allow_private,
        }) => {
            let events = events
                .iter()
                .map(|e| WebhookEvent::parse(e.trim()).ok_or_else(|| format!("unknown event '{e}'")))
                .collect::<Result<Vec<_>, _>>()?;
            let pool = local_pool(&url)?;
            let mut conn = pool.get()?;
            let new = webhooks::NewEndpoint { url: endpoint, events, environments, description };
            let (view, secret) = webhooks::register(&mut conn, new, allow_private)?;
            println!("id: {}\nsecret: {secret}", view.row.id);
            Ok(())
        }
    }
}

/// A duration setting in seconds (fractions allowed), refused when negative or not a number.
fn seconds(s: f64) -> Result<Duration, Failure> {
    Duration::try_from_secs_f64(s).map_err(|e| format!("{s} is not a number of seconds: {e}").into())
}

#[actix_web::main]
async fn serve(url: DatabaseUrl, args: ServeArgs) -> Result<(), Failure> {
    let pool = db::build_pool(&url, args.pool_size.max(2))?;
    {
        let mut conn = pool.get()?;
        if let Some(token) = bootstrap::bootstrap_admin(&mut conn, args.bootstrap_token.clone())? {
            if args.bootstrap_token.is_none() {
                println!("created user admin with token: {token}");
            } else {
                println!("created user admin with the token in REWIND_BOOTSTRAP_TOKEN");
            }
        }
        deployment_worker::recover(&mut conn)?;
        match users::key_stored_names(&mut conn) {
            Ok(problems) => problems.iter().for_each(|p| tracing::warn!(user = %p, "user name without a key")),
            Err(e) => tracing::warn!(error = %e, "stored user names were not keyed"),
        }
    }
    let settings = Settings {
        body_limit: args.body_limit,
        items_body_limit: args.items_body_limit,
        max_release_items: args.max_release_items,
        deploy_page: args.deploy_page,
        cors_origins: args.cors_origins.into_iter().filter(|o| !o.is_empty()).collect(),
        webhooks: WebhookSettings {
            allow_private: args.webhook_allow_private,
            timeout: seconds(args.webhook_timeout_seconds)?,
            retry_schedule: args.webhook_retry_seconds.iter().map(|s| seconds(*s)).collect::<Result<_, _>>()?,
        },
        stream_heartbeat: rewind::settings::STREAM_HEARTBEAT,
        console: ConsoleSettings {
            secure_cookie: args.console_secure_cookie,
            session_lifetime: chrono::TimeDelta::hours(args.console_session_hours),
            public_origin: args.public_url.map(|u| u.origin()),
        },
    };
    let state = web::Data::new(AppState::new(pool, settings));
    // Listen before anything runs, so that an early SIGTERM is a graceful stop too.
    let mut sigterm = signal(SignalKind::terminate())?;
    let mut sigint = signal(SignalKind::interrupt())?;
    let shutdown = state.shutdown.clone();
    let loops = Loops {
        workers: args.workers.max(1),
        webhook_workers: args.webhook_workers.max(1),
        poll: Duration::from_millis(args.poll_ms),
    };
    let workers = background::start(&state, loops);
    let server_state = state.clone();
    let server = HttpServer::new(move || App::new().configure(|c| app::configure(c, server_state.clone())))
        .bind(&args.bind)?
        .disable_signals()
        .shutdown_timeout(args.shutdown_grace_s)
        .run();
    let http = server.handle();
    let mut serving = actix_web::rt::spawn(server);
    tracing::info!(bind = %args.bind, postgres = url.is_postgres(), "rewind is serving");
    let signal = tokio::select! {
        ended = &mut serving => {
            shutdown.begin();
            return Ok(ended??);
        }
        _ = sigterm.recv() => "SIGTERM",
        _ = sigint.recv() => "SIGINT",
    };

    // Stop claiming at once; finish open requests and running deployments within the grace.
    shutdown.begin();
    let grace = Duration::from_secs(args.shutdown_grace_s);
    tracing::info!(signal, grace_s = args.shutdown_grace_s, "stopping: no new deployments are claimed");
    let running = async {
        for w in workers {
            let _ = w.await;
        }
    };
    let ((), finished) = tokio::join!(http.stop(true), tokio::time::timeout(grace, running));
    serving.await??;
    if finished.is_err() {
        // The open transaction dies with the process, so nothing of it is applied; the next
        // start (or, on PostgreSQL, another live process) queues the deployment again (L5).
        tracing::warn!(grace_s = args.shutdown_grace_s, "grace over: a running deployment is left to be run again");
        std::process::exit(0);
    }
    tracing::info!("stopped");
    Ok(())
}
