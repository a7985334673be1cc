// How the generated JavaScript spells a property name: bare where it is an identifier, quoted
// where it is not ("x-forwarded-for", "").

const IDENTIFIER = /^[A-Za-z_$][\w$]*$/;

/** A property name as written in a class or object literal. */
export function propertyKey(name: string): string {
  return IDENTIFIER.test(name) ? name : JSON.stringify(name);
}

/** Reading property `name` of the expression `object`: `object.name` or `object["name"]`. */
export function propertyRead(object: string, name: string): string {
  return IDENTIFIER.test(name) ? `${object}.${name}` : `${object}[${JSON.stringify(name)}]`;
}
