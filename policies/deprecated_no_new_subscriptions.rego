# Rule deprecated-no-new-subscriptions (error, `plan` only): a deprecated product takes no
# new subscribers. It fires on a change that adds a partner subscribed to a deprecated
# product, and on a change whose fields add a subscription to one
# (`partner/<name>/subscriptions/<product>@<environment>`, op `add`). Existing subscribers
# are left alone: they move off the product before it is retired (see
# retired-product-unsubscribed).
package partnerctl.rules.deprecated_no_new_subscriptions

import data.partnerctl.lib
import rego.v1

deny contains finding if {
	some change in input.changes
	startswith(change.resource, "partner/")
	name := substring(change.resource, count("partner/"), -1)
	some i, sub in input.partners[name].spec.subscriptions
	input.products[sub.product].spec.lifecycle == "deprecated"
	new_subscription(change, sub)
	finding := {
		"rule": "deprecated-no-new-subscriptions",
		"msg": sprintf("this change subscribes %s to %s, which is deprecated and takes no new subscribers", [name, sub.product]),
		"resource": change.resource,
		"path": sprintf("/spec/subscriptions/%d", [i]),
	}
}

new_subscription(change, _) if change.action == "create"

new_subscription(change, sub) if {
	change.action == "update"
	some field in change.fields
	field.op == "add"
	field.address == sprintf("%s/subscriptions/%s@%s", [change.resource, sub.product, sub.environment])
}
