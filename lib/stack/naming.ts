/** How the stack names what it creates from the use-cases, and where each function's code is. */

/** `order-shipped-email` → `OrderShippedEmail`: construct ids and output names from use-case and route names. */
export const pascal = (value: string): string =>
  value
    .split(/[^A-Za-z0-9]+/)
    .map((part) => part.charAt(0).toUpperCase() + part.slice(1))
    .join("");

/** Absolute path of a function's TypeScript entry: `functions/<name>/<file>.ts`. */
export const functionEntry = (name: string, file = "index"): string =>
  new URL(`../../functions/${name}/${file}.ts`, import.meta.url).pathname;
