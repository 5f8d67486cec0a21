use super::*;
use std::collections::HashMap;
use std::ffi::OsString;

fn env(vars: &[(&str, &str)]) -> impl Fn(&str) -> Option<OsString> {
    let vars: HashMap<String, String> = vars
        .iter()
        .map(|(k, v)| ((*k).to_owned(), (*v).to_owned()))
        .collect();
    move |k| vars.get(k).map(OsString::from)
}

#[test]
fn settings_come_from_the_environment() {
    let s = PluginProcess::new()
        .resolve(env(&[
            (ENV_HOST, "http://host:1"),
            (ENV_NODE, "n1"),
            (ENV_TOKEN, "t"),
            (ENV_LISTEN, "0.0.0.0:7000"),
            (ENV_ADVERTISE, "http://me:7000"),
        ]))
        .unwrap();
    assert_eq!(s.host, "http://host:1");
    assert_eq!(s.node, "n1");
    assert_eq!(s.token, "t");
    assert_eq!(s.listen, "0.0.0.0:7000".parse().unwrap());
    assert_eq!(s.advertise.as_deref(), Some("http://me:7000"));
}

#[test]
fn the_builder_wins_and_listen_defaults_to_loopback() {
    let s = PluginProcess::new()
        .host("http://explicit:2")
        .node("n2")
        .token("t2")
        .resolve(env(&[(ENV_HOST, "http://env:1"), (ENV_NODE, "env")]))
        .unwrap();
    assert_eq!(s.host, "http://explicit:2");
    assert_eq!(s.node, "n2");
    assert_eq!(s.listen, DEFAULT_LISTEN);
    assert_eq!(s.advertise, None);
}

#[test]
fn missing_and_invalid_settings_are_named() {
    let err = PluginProcess::new()
        .resolve(env(&[(ENV_NODE, "n"), (ENV_TOKEN, "t")]))
        .err()
        .unwrap();
    assert!(
        matches!(err, ServeError::MissingEnv { var: ENV_HOST, .. }),
        "{err}"
    );
    assert!(err.to_string().contains("PEGBOARD_HOST"), "{err}");
    let err = PluginProcess::new()
        .resolve(env(&[(ENV_HOST, "http://h:1"), (ENV_NODE, "n")]))
        .err()
        .unwrap();
    assert!(err.to_string().contains("PEGBOARD_TOKEN"), "{err}");
    let err = PluginProcess::new()
        .resolve(env(&[
            (ENV_HOST, "http://h:1"),
            (ENV_NODE, "n"),
            (ENV_TOKEN, "t"),
            (ENV_LISTEN, "port 80"),
        ]))
        .err()
        .unwrap();
    assert!(err.to_string().contains("PEGBOARD_LISTEN"), "{err}");
    assert!(err.to_string().contains("port 80"), "{err}");
    let err = PluginProcess::new()
        .resolve(env(&[(ENV_HOST, "h"), (ENV_NODE, "n"), (ENV_TOKEN, "")]))
        .err()
        .unwrap();
    assert!(err.to_string().contains("empty"), "{err}");
}

#[test]
fn a_token_unfit_for_a_header_is_refused_without_showing_it() {
    let s = PluginProcess::new()
        .host("http://h:1")
        .node("n")
        .token("s3cret\nline")
        .resolve(env(&[]))
        .unwrap();
    let err = s.token_value().unwrap_err();
    assert!(!err.to_string().contains("s3cret"), "{err}");
}

#[cfg(feature = "tls")]
#[test]
fn an_https_host_takes_its_tls_settings_from_the_environment() {
    let dir = std::env::temp_dir().join(format!("pegboard-sdk-tls-{}", std::process::id()));
    std::fs::create_dir_all(&dir).unwrap();
    let pem = |name: &str, label: &str| {
        let path = dir.join(name);
        std::fs::write(
            &path,
            format!("-----BEGIN {label}-----\nAAAA\n-----END {label}-----\n"),
        )
        .unwrap();
        path.display().to_string()
    };
    let ca = pem("ca.pem", "CERTIFICATE");
    let cert = pem("plugin.pem", "CERTIFICATE");
    let key = pem("plugin.key", "PRIVATE KEY");
    let base = [
        (ENV_HOST, "https://host:1"),
        (ENV_NODE, "n"),
        (ENV_TOKEN, "t"),
    ];
    let with = |more: &[(&'static str, &str)]| {
        let mut vars = base.to_vec();
        vars.extend_from_slice(more);
        PluginProcess::new().resolve(env(&vars))
    };

    let err = with(&[]).err().unwrap();
    assert!(
        matches!(
            err,
            ServeError::MissingEnv {
                var: ENV_TLS_CA,
                ..
            }
        ),
        "{err}"
    );
    let s = with(&[(ENV_TLS_CA, &ca)]).unwrap();
    assert!(!s.tls.as_ref().unwrap().has_identity());
    let s = with(&[
        (ENV_TLS_CA, &ca),
        (ENV_TLS_CERT, &cert),
        (ENV_TLS_KEY, &key),
    ])
    .unwrap();
    assert!(s.tls.as_ref().unwrap().has_identity());
    let err = with(&[(ENV_TLS_CA, &ca), (ENV_TLS_CERT, &cert)])
        .err()
        .unwrap();
    assert!(
        matches!(
            err,
            ServeError::MissingEnv {
                var: ENV_TLS_KEY,
                ..
            }
        ),
        "{err}"
    );
    // A file that is not there is named.
    let err = with(&[(ENV_TLS_CA, "/nonexistent/ca.pem")]).err().unwrap();
    assert!(matches!(err, ServeError::Tls(_)), "{err}");
    assert!(err.to_string().contains("/nonexistent/ca.pem"), "{err}");
    // The key given as the CA.
    let err = with(&[(ENV_TLS_CA, &key)]).err().unwrap();
    assert!(err.to_string().contains(&key), "{err}");

    // TLS settings with an http:// host are refused, not ignored.
    let err = PluginProcess::new()
        .resolve(env(&[
            (ENV_HOST, "http://host:1"),
            (ENV_NODE, "n"),
            (ENV_TOKEN, "t"),
            (ENV_TLS_CA, &ca),
        ]))
        .err()
        .unwrap();
    assert!(err.to_string().contains("PEGBOARD_TLS_CA"), "{err}");
    let tls = super::super::tls::ClientTls::from_ca_file(&ca).unwrap();
    let err = PluginProcess::new()
        .host("http://host:1")
        .node("n")
        .token("t")
        .host_tls(tls.clone())
        .resolve(env(&[]))
        .err()
        .unwrap();
    assert!(err.to_string().contains("https://"), "{err}");
    // The builder's settings win over the environment's.
    let s = PluginProcess::new()
        .host("https://host:1")
        .node("n")
        .token("t")
        .host_tls(tls)
        .resolve(env(&[(ENV_TLS_CA, "/nonexistent/ca.pem")]))
        .unwrap();
    assert!(s.tls.is_some());
    // The plugin's own service: both files or neither.
    let s = with(&[
        (ENV_TLS_CA, &ca),
        (ENV_TLS_SERVE_CERT, &cert),
        (ENV_TLS_SERVE_KEY, &key),
    ])
    .unwrap();
    assert!(s.serve_tls.is_some());
    let err = with(&[(ENV_TLS_CA, &ca), (ENV_TLS_SERVE_CERT, &cert)])
        .err()
        .unwrap();
    assert!(
        matches!(
            err,
            ServeError::MissingEnv {
                var: ENV_TLS_SERVE_KEY,
                ..
            }
        ),
        "{err}"
    );
    let err = with(&[
        (ENV_TLS_CA, &ca),
        (ENV_TLS_SERVE_CERT, &cert),
        (ENV_TLS_SERVE_KEY, &cert),
    ])
    .err()
    .unwrap();
    assert!(err.to_string().contains("no private key"), "{err}");
    // A plaintext host without TLS settings stays plaintext.
    let s = PluginProcess::new()
        .resolve(env(&[
            (ENV_HOST, "http://host:1"),
            (ENV_NODE, "n"),
            (ENV_TOKEN, "t"),
        ]))
        .unwrap();
    assert!(s.tls.is_none());
    assert!(s.serve_tls.is_none());
}
