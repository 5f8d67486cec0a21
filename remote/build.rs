//! Compiles `proto/pegboard/v1/*.proto` with `protox` (a pure-Rust protobuf
//! compiler), so building pegboard never needs a system `protoc`.

use std::error::Error;

const PROTOS: [&str; 2] = [
    "proto/pegboard/v1/registry.proto",
    "proto/pegboard/v1/plugin.proto",
];

fn main() -> Result<(), Box<dyn Error>> {
    // `compile_fds` never sees the files, so it cannot emit these itself.
    for proto in PROTOS {
        println!("cargo:rerun-if-changed={proto}");
    }
    let descriptors = protox::compile(PROTOS, ["proto"])?;
    tonic_prost_build::configure()
        .build_client(true)
        .build_server(true)
        .compile_fds(descriptors)?;
    Ok(())
}
