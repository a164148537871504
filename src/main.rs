//! The `pass-idp` command: serve, migrate, and administration of citizens, e-services and keys.
use clap::{Args, Parser, Subcommand};
use pass_idp::auth::Secret;
use pass_idp::clock::{Clock, SharedClock, SystemClock};
use pass_idp::config::Config;
use pass_idp::service::citizens::NewCitizenInput;
use pass_idp::service::Services;
use std::io::{IsTerminal, Read};
use std::path::PathBuf;
use std::process::ExitCode;
use std::sync::Arc;

/// mimalloc: the request path allocates many small short-lived buffers (XML, base64, rows); measured
/// with `make bench`, glibc malloc took about 6 % of the server's CPU on session SSO.
#[global_allocator]
static GLOBAL: mimalloc::MiMalloc = mimalloc::MiMalloc;

#[derive(Parser)]
#[command(
    name = "pass-idp",
    version,
    about = "SAML 2.0 identity provider with smsPASS"
)]
struct Cli {
    /// Configuration file (default: ./pass-idp.toml if it exists).
    #[arg(long, global = true)]
    config: Option<PathBuf>,
    /// Development mode: dev certificates, plain http, local SMS/e-mail outboxes, auto-migration.
    #[arg(long, global = true)]
    dev: bool,
    #[command(subcommand)]
    cmd: Cmd,
}

#[derive(Subcommand)]
enum Cmd {
    /// Run the IdP.
    Serve,
    /// Apply database migrations.
    Migrate,
    /// Citizens.
    #[command(subcommand)]
    User(UserCmd),
    /// Connected e-services (SAML service providers).
    #[command(subcommand)]
    Sp(SpCmd),
    /// Keys.
    #[command(subcommand)]
    Keys(KeysCmd),
    /// Staff accounts (officers, operators, auditors).
    #[command(subcommand)]
    Staff(StaffCmd),
    /// Postal letters with activation codes.
    #[command(subcommand)]
    Letters(LettersCmd),
}

#[derive(Subcommand)]
enum LettersCmd {
    /// Write the pending letters as one print-ready PDF batch (letters-<timestamp>.pdf) and mark them
    /// dispatched.
    Export {
        #[arg(long)]
        out: PathBuf,
    },
}

#[derive(Subcommand)]
enum StaffCmd {
    /// Create a staff member. The password is read from standard input (or asked twice on a terminal).
    Add(StaffAdd),
    /// List staff members.
    List,
    /// Lock a staff account (also ends its sessions).
    Lock { username: String },
    /// Unlock a staff account (also clears the failed-attempt lock).
    Unlock { username: String },
}

#[derive(Args)]
struct StaffAdd {
    username: String,
    /// Name shown in the staff pages.
    #[arg(long)]
    name: String,
    /// Phone for the login SMS code (E.164 or national).
    #[arg(long)]
    phone: String,
    /// officer, operator or auditor; repeat for several.
    #[arg(long = "role", required = true)]
    roles: Vec<String>,
}

#[derive(Subcommand)]
enum UserCmd {
    /// Create a citizen. The password is read from standard input (or asked twice on a terminal).
    Add(UserAdd),
    /// Show a citizen.
    Show { username: String },
    /// Register the smsPASS phone number (E.164 or national) and make smsPASS active.
    SetPhone { username: String, phone: String },
    /// Lock an account.
    Lock { username: String },
    /// Unlock an account (also clears the failed-attempt lock).
    Unlock { username: String },
}

#[derive(Args)]
struct UserAdd {
    username: String,
    #[arg(long)]
    given_name: String,
    #[arg(long)]
    family_name: String,
    #[arg(long)]
    email: Option<String>,
    /// smsPASS phone number; when given smsPASS is active at once.
    #[arg(long)]
    phone: Option<String>,
}

#[derive(Subcommand)]
enum SpCmd {
    /// List the e-services in the metadata folder (and files that were skipped, with why).
    List,
    /// Validate a metadata file (and its policy file) and print what the IdP will use from it.
    Check { file: PathBuf },
    /// Add (or replace) an e-service: validate, keep the version in history, write atomically.
    Add {
        file: PathBuf,
        #[arg(long)]
        policy: Option<PathBuf>,
        #[arg(long, default_value = "")]
        why: String,
    },
    /// Disable an e-service (kept, hidden from the catalog, refused at SSO).
    Disable {
        entity: String,
        #[arg(long, default_value = "")]
        why: String,
    },
    /// Enable an e-service again.
    Enable {
        entity: String,
        #[arg(long, default_value = "")]
        why: String,
    },
    /// Saved versions of an e-service (who, when, why).
    History { entity: String },
    /// Make an earlier version current again.
    Restore {
        entity: String,
        version: u32,
        #[arg(long, default_value = "")]
        why: String,
    },
}

#[derive(Subcommand)]
enum KeysCmd {
    /// Regenerate the development signing key and certificate (marked DEV ONLY).
    Dev {
        #[arg(long, default_value = "certs-dev")]
        out: PathBuf,
    },
}

fn load_config(cli: &Cli) -> Result<Config, String> {
    if cli.dev {
        std::env::set_var("PASS_IDP__DEV_MODE", "true");
    }
    Config::load(cli.config.as_deref()).map_err(|e| e.to_string())
}

fn read_password() -> Result<Secret, String> {
    let stdin = std::io::stdin();
    if stdin.is_terminal() {
        let a = rpassword::prompt_password("Password: ").map_err(|e| e.to_string())?;
        let b = rpassword::prompt_password("Password again: ").map_err(|e| e.to_string())?;
        if a != b {
            return Err("the passwords differ".into());
        }
        Ok(Secret::new(a))
    } else {
        let mut s = String::new();
        stdin
            .lock()
            .read_to_string(&mut s)
            .map_err(|e| e.to_string())?;
        let line = s.lines().next().unwrap_or("").to_string();
        if line.is_empty() {
            return Err("no password on standard input".into());
        }
        Ok(Secret::new(line))
    }
}

async fn services(cfg: Config) -> Result<Services, String> {
    let clock: SharedClock = Arc::new(SystemClock);
    pass_idp::bootstrap::services(cfg, clock, None)
        .await
        .map_err(|e| e.to_string())
}

fn print_citizen(c: &pass_idp::domain::citizen::Citizen) {
    println!("username:     {}", c.username);
    println!("id:           {}", c.id);
    println!("name:         {} {}", c.given_name, c.family_name);
    println!("e-mail:       {}", c.email.as_deref().unwrap_or("-"));
    println!("smsPASS:      {}", c.smspass.code());
    if let Some(p) = c.smspass.login_phone() {
        println!("phone:        {}", p.masked());
    }
    println!("locked:       {}", c.locked);
}

fn print_staff(s: &pass_idp::domain::staff::StaffMember) {
    let roles: Vec<&str> = s.roles.iter().map(|r| r.as_str()).collect();
    println!(
        "{:<24} {:<30} {:<16} {:<28} {}",
        s.username.as_str(),
        s.display_name,
        s.phone.masked(),
        roles.join(","),
        if s.locked { "locked" } else { "active" }
    );
}

async fn run_staff(svc: &Services, cmd: &StaffCmd, actor: &str) -> Result<(), String> {
    use pass_idp::service::staff::NewStaffInput;
    let one = match cmd {
        StaffCmd::List => {
            for s in svc.staff.list_staff().await.map_err(|e| e.to_string())? {
                print_staff(&s);
            }
            return Ok(());
        }
        StaffCmd::Add(a) => {
            let password = read_password()?;
            svc.staff
                .add_staff(
                    NewStaffInput {
                        username: a.username.clone(),
                        display_name: a.name.clone(),
                        phone: a.phone.clone(),
                        roles: a.roles.clone(),
                        password,
                    },
                    actor,
                )
                .await
        }
        StaffCmd::Lock { username } => svc.staff.set_staff_locked(username, true, actor).await,
        StaffCmd::Unlock { username } => svc.staff.set_staff_locked(username, false, actor).await,
    }
    .map_err(|e| e.to_string())?;
    print_staff(&one);
    Ok(())
}

async fn run(cli: Cli) -> Result<(), String> {
    match &cli.cmd {
        Cmd::Keys(KeysCmd::Dev { out }) => {
            let cn = format!("pass-idp signing {}", pass_idp::bootstrap::DEV_CERT_MARKER);
            let (key, cert) =
                pass_idp::keys::generate_self_signed(&cn, 3650).map_err(|e| e.to_string())?;
            std::fs::create_dir_all(out).map_err(|e| e.to_string())?;
            std::fs::write(out.join("idp-signing.key"), key).map_err(|e| e.to_string())?;
            std::fs::write(out.join("idp-signing.crt"), cert).map_err(|e| e.to_string())?;
            println!(
                "wrote {}/idp-signing.key and idp-signing.crt (DEV ONLY)",
                out.display()
            );
            Ok(())
        }
        Cmd::Sp(SpCmd::Check { file }) => {
            let cfg = load_config(&cli)?;
            pass_idp::service::sp_check::check_file(file, &cfg, SystemClock.now())
        }
        Cmd::Sp(SpCmd::List) => {
            let cfg = load_config(&cli)?;
            pass_idp::service::sp_check::list(&cfg, Arc::new(SystemClock));
            Ok(())
        }
        Cmd::Sp(sp) => {
            let cfg = load_config(&cli)?;
            let svc = services(cfg).await?;
            run_sp_admin(&svc, sp).await
        }
        Cmd::Migrate => {
            let cfg = load_config(&cli)?;
            let store = pass_idp::storage::Store::connect(&cfg.database_url)
                .await
                .map_err(|e| e.to_string())?;
            store.migrate().await.map_err(|e| e.to_string())?;
            println!("database is up to date");
            Ok(())
        }
        Cmd::Serve => {
            let cfg = load_config(&cli)?;
            pass_idp::web::server::serve(cfg).await
        }
        Cmd::Letters(LettersCmd::Export { out }) => {
            let cfg = load_config(&cli)?;
            let svc = services(cfg).await?;
            let summary =
                pass_idp::service::letters::export_command(&svc.activation, out, &cli_actor())
                    .await
                    .map_err(|e| e.to_string())?;
            println!("{summary}");
            Ok(())
        }
        Cmd::Staff(cmd) => {
            let cfg = load_config(&cli)?;
            let svc = services(cfg).await?;
            let actor = format!(
                "cli:{}",
                std::env::var("USER").unwrap_or_else(|_| "unknown".into())
            );
            run_staff(&svc, cmd, &actor).await
        }
        Cmd::User(u) => {
            let cfg = load_config(&cli)?;
            let svc = services(cfg).await?;
            let actor = format!(
                "cli:{}",
                std::env::var("USER").unwrap_or_else(|_| "unknown".into())
            );
            let c = match u {
                UserCmd::Add(a) => {
                    let password = read_password()?;
                    svc.citizens
                        .add_citizen(
                            NewCitizenInput {
                                username: a.username.clone(),
                                given_name: a.given_name.clone(),
                                family_name: a.family_name.clone(),
                                email: a.email.clone(),
                                phone: a.phone.clone(),
                                password,
                            },
                            &actor,
                        )
                        .await
                }
                UserCmd::Show { username } => svc.citizens.citizen_by_username(username).await,
                UserCmd::SetPhone { username, phone } => {
                    svc.citizens
                        .set_citizen_phone(username, phone, &actor)
                        .await
                }
                UserCmd::Lock { username } => {
                    svc.citizens
                        .set_citizen_locked(username, true, &actor)
                        .await
                }
                UserCmd::Unlock { username } => {
                    svc.citizens
                        .set_citizen_locked(username, false, &actor)
                        .await
                }
            }
            .map_err(|e| e.to_string())?;
            print_citizen(&c);
            Ok(())
        }
    }
}

fn cli_actor() -> String {
    format!(
        "cli:{}",
        std::env::var("USER").unwrap_or_else(|_| "unknown".into())
    )
}

fn print_saved(s: &pass_idp::service::sp_admin::SavedChange) {
    for w in &s.warnings {
        println!("warning {}: {}", w.code, w.message);
    }
    println!(
        "saved {} as version {} ({})",
        s.version.entity_id, s.version.version, s.version.file
    );
}

async fn run_sp_admin(svc: &Services, cmd: &SpCmd) -> Result<(), String> {
    use pass_idp::saml::registry::{LoadRules, SpRegistry};
    use pass_idp::service::sp_admin::{self, SpTarget};
    let who = cli_actor();
    let read = |p: &PathBuf| {
        std::fs::read_to_string(p).map_err(|e| format!("cannot read {}: {e}", p.display()))
    };
    match cmd {
        SpCmd::Add { file, policy, why } => {
            let xml = read(file)?;
            let policy = policy.as_ref().map(read).transpose()?;
            // Replace when the entityID is already connected, else add.
            let now = svc.ports.clock.now();
            let target = match sp_admin::preview_change(
                &svc.sp_admin,
                &SpTarget::New,
                &xml,
                policy.as_deref(),
                now,
            ) {
                Ok(p) => match p.entity_id {
                    // A file that is there but not served (it fails a check) is replaced too.
                    Some(id)
                        if SpRegistry::load_dir(
                            &svc.ports.cfg.metadata_dir,
                            &LoadRules::ParseOnly,
                        )
                        .get(&id)
                        .is_some() =>
                    {
                        SpTarget::Existing(id)
                    }
                    _ => SpTarget::New,
                },
                Err(e) => return Err(e.to_string()),
            };
            let preview =
                sp_admin::preview_change(&svc.sp_admin, &target, &xml, policy.as_deref(), now)
                    .map_err(|e| e.to_string())?;
            print!("{}{}", preview.metadata_diff, preview.policy_diff);
            let saved =
                sp_admin::save_change(&svc.sp_admin, &target, &xml, policy.as_deref(), &who, why)
                    .await
                    .map_err(|e| e.to_string())?;
            print_saved(&saved);
        }
        SpCmd::Disable { entity, why } | SpCmd::Enable { entity, why } => {
            let enabled = matches!(cmd, SpCmd::Enable { .. });
            let saved = sp_admin::set_enabled(&svc.sp_admin, entity, enabled, &who, why)
                .await
                .map_err(|e| e.to_string())?;
            print_saved(&saved);
        }
        SpCmd::History { entity } => {
            for v in sp_admin::history(&svc.sp_admin, entity).map_err(|e| e.to_string())? {
                println!(
                    "{}\t{}\t{}\t{}\t{}",
                    v.version,
                    v.at.to_rfc3339(),
                    v.who,
                    v.action,
                    v.why
                );
            }
        }
        SpCmd::Restore {
            entity,
            version,
            why,
        } => {
            let saved = sp_admin::restore(&svc.sp_admin, entity, *version, &who, why)
                .await
                .map_err(|e| e.to_string())?;
            print_saved(&saved);
        }
        SpCmd::List | SpCmd::Check { .. } => {}
    }
    Ok(())
}

fn main() -> ExitCode {
    tracing_subscriber::fmt()
        .with_env_filter(
            tracing_subscriber::EnvFilter::try_from_default_env()
                .unwrap_or_else(|_| tracing_subscriber::EnvFilter::new("info")),
        )
        .with_writer(std::io::stderr)
        .init();
    let cli = Cli::parse();
    let rt = match tokio::runtime::Builder::new_multi_thread()
        .enable_all()
        .build()
    {
        Ok(rt) => rt,
        Err(e) => {
            eprintln!("pass-idp: cannot start the runtime: {e}");
            return ExitCode::FAILURE;
        }
    };
    match rt.block_on(run(cli)) {
        Ok(()) => ExitCode::SUCCESS,
        Err(e) => {
            eprintln!("pass-idp: {e}");
            ExitCode::FAILURE
        }
    }
}
