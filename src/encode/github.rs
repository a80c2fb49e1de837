//! GitHub workflow commands (`::error file=…,line=…::message`), encoded as the runner
//! decodes them, so that a value cannot end a property or the command.

/// Workflow-command message data, encoded as the runner decodes it: `%`, `\r`, `\n`.
pub fn data(s: &str) -> String {
    s.replace('%', "%25").replace('\r', "%0D").replace('\n', "%0A")
}

/// A workflow-command property value (`file=`, `title=`): as data, and also `:` and `,`,
/// which end a property.
pub fn property(s: &str) -> String {
    data(s).replace(':', "%3A").replace(',', "%2C")
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn encodes_as_the_runner_decodes() {
        assert_eq!(data("50%\r\n::x"), "50%25%0D%0A::x");
        assert_eq!(property("a:b,c\n"), "a%3Ab%2Cc%0A");
    }
}
