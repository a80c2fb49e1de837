// Runs @backstage/catalog-model's own validators on catalog entities, as the catalog does
// when it reads a location: the entity policies (default namespace, field formats, no
// foreign root fields, the entity schema) and the validator of each built-in kind; and
// parses every relation reference (owner, system, consumesApis, targets) as the catalog's
// processors do.
//
// Usage: node backstage_catalog_model.cjs NODE_MODULES ENTITIES.json
// (ENTITIES.json: an array of entities). Prints each problem and exits 1 if there is one.
'use strict';
const path = require('path');
const fs = require('fs');

const model = require(path.join(process.argv[2], '@backstage/catalog-model'));
const entities = JSON.parse(fs.readFileSync(process.argv[3], 'utf8'));

const policy = model.EntityPolicies.allOf([
  new model.DefaultNamespaceEntityPolicy(),
  new model.FieldFormatEntityPolicy(),
  new model.NoForeignRootFieldsEntityPolicy(),
  new model.SchemaValidEntityPolicy(),
]);
const validators = [
  model.apiEntityV1alpha1Validator,
  model.componentEntityV1alpha1Validator,
  model.domainEntityV1alpha1Validator,
  model.groupEntityV1alpha1Validator,
  model.locationEntityV1alpha1Validator,
  model.resourceEntityV1alpha1Validator,
  model.systemEntityV1alpha1Validator,
  model.userEntityV1alpha1Validator,
];

async function main() {
  const problems = [];
  for (const raw of entities) {
    const where = `${raw.kind} ${raw.metadata && raw.metadata.name}`;
    try {
      const entity = await policy.enforce(JSON.parse(JSON.stringify(raw)));
      let matched = false;
      for (const v of validators) {
        if (await v.check(entity)) matched = true;
      }
      if (!matched) problems.push(`${where}: no built-in kind validator accepts it`);
      const spec = entity.spec || {};
      const refs = [];
      if (spec.owner) refs.push([spec.owner, 'Group']);
      if (spec.system) refs.push([spec.system, 'System']);
      for (const a of spec.consumesApis || []) refs.push([a, 'API']);
      for (const [ref, kind] of refs) {
        const r = model.parseEntityRef(ref, { defaultKind: kind, defaultNamespace: entity.metadata.namespace });
        if (r.kind.toLowerCase() !== kind.toLowerCase()) problems.push(`${where}: ${ref} is a ${r.kind}, not a ${kind}`);
      }
    } catch (e) {
      problems.push(`${where}: ${e.message}`);
    }
  }
  for (const p of problems) console.log(p);
  console.log(`${entities.length} entities checked, ${problems.length} problem(s)`);
  process.exit(problems.length ? 1 : 0);
}
main();
