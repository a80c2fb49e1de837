# Helpers shared by the built-in rules. Program policies may use them too:
#   import data.partnerctl.lib
package partnerctl.lib

import rego.v1

# live_credential(c) holds for a credential that works on input.today: not revoked on or
# before today and not expired. Dates are YYYY-MM-DD strings, so they compare as text.
live_credential(c) if {
	not revoked_by(c, input.today)
	not expired_by(c, input.today)
}

revoked_by(c, day) if c.revoked <= day

expired_by(c, day) if c.expires <= day

# one_year_before(day) is the same calendar day one year earlier, e.g. "2025-11-01" for
# "2026-11-01". For 29 February it gives "YYYY-02-29" of the year before, which still
# compares correctly against real dates.
one_year_before(day) := sprintf("%d%s", [to_number(substring(day, 0, 4)) - 1, substring(day, 4, -1)])

# partner(name) is the resource name of a partner as findings write it: "partner/<name>".
partner(name) := concat("/", ["partner", name])

# product(name) is the resource name of a product: "product/<name>".
product(name) := concat("/", ["product", name])

# terms(name) is the resource name of a terms document: "terms/<name>".
terms(name) := concat("/", ["terms", name])
