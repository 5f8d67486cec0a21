pegboard::link_plugins!(PLUGINS, extra);

fn main() {}
