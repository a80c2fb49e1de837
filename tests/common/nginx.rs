//! A real NGINX on loopback for the gateway tests: the rendered include inside a minimal
//! `nginx.conf` of the test's own, checked with `nginx -t`, started, and stopped when the
//! test ends, however it ends.

use std::io::Read;
use std::net::{TcpListener, TcpStream};
use std::path::{Path, PathBuf};
use std::process::{Child, Command, Stdio};
use std::time::{Duration, Instant};

/// Debian's NGINX, if installed.
pub fn binary() -> Option<PathBuf> {
    ["/usr/sbin/nginx", "/usr/bin/nginx"]
        .into_iter()
        .map(PathBuf::from)
        .find(|p| p.is_file())
}

/// The `load_module` line for NGINX's perl module (Debian: libnginx-mod-http-perl), which the
/// include needs to compare keys exactly; a stock `nginx.conf` loads it through
/// `modules-enabled/`, the minimal one of the tests loads it itself.
pub fn perl_module() -> Option<String> {
    [
        "/usr/lib/nginx/modules/ngx_http_perl_module.so",
        "/usr/share/nginx/modules/ngx_http_perl_module.so",
    ]
    .into_iter()
    .find(|m| Path::new(m).is_file())
    .map(|m| format!("load_module {m};\n"))
}

/// NGINX and its perl module, or why the test cannot run: under CI (env `CI` set) a missing
/// one fails the test, elsewhere the caller skips with the message.
pub fn available() -> Result<(PathBuf, String), String> {
    let found = binary()
        .ok_or("nginx is not installed (apt-get install nginx)")
        .and_then(|b| {
            perl_module()
                .map(|p| (b, p))
                .ok_or("NGINX's perl module is not installed (apt-get install libnginx-mod-http-perl)")
        });
    match found {
        Ok(found) => Ok(found),
        Err(why) if std::env::var_os("CI").is_some() => panic!("{why}; .ci/run installs both"),
        Err(why) => Err(why.to_string()),
    }
}

/// A port nothing listens on, never one this process handed out before. The kernel's port 0
/// gives a free port but may give the same one twice (it is free again once the probe closes),
/// so two ports asked for at once, or by tests running side by side, could be one.
pub fn free_port() -> u16 {
    static GIVEN: std::sync::Mutex<Vec<u16>> = std::sync::Mutex::new(Vec::new());
    let mut given = GIVEN.lock().unwrap_or_else(|e| e.into_inner());
    loop {
        let port = TcpListener::bind("127.0.0.1:0").unwrap().local_addr().unwrap().port();
        if !given.contains(&port) {
            given.push(port);
            return port;
        }
    }
}

/// A started NGINX; killed when dropped.
pub struct Running(pub Child);

impl Drop for Running {
    fn drop(&mut self) {
        let _ = self.0.kill();
        let _ = self.0.wait();
    }
}

fn running_as_root() -> bool {
    use std::os::unix::fs::MetadataExt;
    std::fs::metadata("/proc/self").map(|m| m.uid() == 0).unwrap_or(false)
}

/// Writes `include` as `partnerctl.conf` into `run_dir` inside a minimal `nginx.conf` and
/// runs `nginx -t` on it: its exit status and what it printed (NGINX writes to stderr).
pub fn check(nginx: &Path, perl: &str, run_dir: &Path, include: &[u8]) -> (bool, String) {
    let conf = write_conf(perl, run_dir, include);
    let out = Command::new(nginx)
        .arg("-t")
        .arg("-p")
        .arg(run_dir)
        .arg("-c")
        .arg(&conf)
        .output()
        .unwrap();
    (out.status.success(), String::from_utf8_lossy(&out.stderr).into_owned())
}

fn write_conf(perl: &str, run_dir: &Path, include: &[u8]) -> PathBuf {
    std::fs::write(run_dir.join("partnerctl.conf"), include).unwrap();
    // Root's workers would run as `nobody`, which cannot read a temp dir of root's.
    let user = if running_as_root() { "user root;\n" } else { "" };
    let d = run_dir.display();
    let main = format!(
        "{perl}{user}daemon off;\nmaster_process off;\nworker_processes 1;\npid {d}/nginx.pid;\nerror_log {d}/error.log info;\n\
         events {{ worker_connections 64; }}\n\
         http {{\n  access_log off;\n  client_body_temp_path {d}/body;\n  proxy_temp_path {d}/proxy;\n  fastcgi_temp_path {d}/fastcgi;\n  uwsgi_temp_path {d}/uwsgi;\n  scgi_temp_path {d}/scgi;\n  include {d}/partnerctl.conf;\n}}\n"
    );
    std::fs::write(run_dir.join("nginx.conf"), main).unwrap();
    run_dir.join("nginx.conf")
}

/// Writes `include` as `partnerctl.conf` into `run_dir` inside a minimal `nginx.conf`,
/// asserts that `nginx -t` accepts it, starts NGINX and waits until `listen` answers.
pub fn start(nginx: &Path, perl: &str, run_dir: &Path, include: &[u8], listen: u16) -> Running {
    let (ok, err) = check(nginx, perl, run_dir, include);
    assert!(ok, "nginx -t refuses the rendered config:\n{err}");
    let conf = run_dir.join("nginx.conf");
    let child = Command::new(nginx)
        .arg("-p")
        .arg(run_dir)
        .arg("-c")
        .arg(&conf)
        .env("TZ", "UTC")
        .stdout(Stdio::null())
        .stderr(Stdio::piped())
        .spawn()
        .unwrap();
    let mut running = Running(child);
    let started = Instant::now();
    while TcpStream::connect(("127.0.0.1", listen)).is_err() {
        if let Some(status) = running.0.try_wait().unwrap() {
            let mut err = String::new();
            running.0.stderr.take().unwrap().read_to_string(&mut err).unwrap();
            panic!("nginx exited ({status}): {err}");
        }
        assert!(
            started.elapsed() < Duration::from_secs(10),
            "nginx did not listen on {listen}"
        );
        std::thread::sleep(Duration::from_millis(50));
    }
    running
}
