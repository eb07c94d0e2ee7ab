/**
 * Security headers of every page the server shows a browser (the admin client, its assets and
 * GraphiQL): a Content-Security-Policy that allows no inline script and no framing, and the
 * headers that say the same to older browsers. Inline styles stay allowed: Solid's and Monaco's
 * `style` attributes are not script. tests/e2e-*.test.ts run the pages in Chromium under them.
 */
export const ADMIN_CSP = [
  "default-src 'self'",
  "script-src 'self'",
  "style-src 'self' 'unsafe-inline'",
  "img-src 'self' data:",
  "font-src 'self' data:",
  "connect-src 'self'",
  "worker-src 'self'",
  "object-src 'none'",
  "base-uri 'none'",
  "form-action 'self'",
  "frame-ancestors 'none'",
].join('; ');

export function securityHeaders(csp = ADMIN_CSP): Record<string, string> {
  return {
    'content-security-policy': csp,
    'x-frame-options': 'DENY',
    'x-content-type-options': 'nosniff',
    'referrer-policy': 'no-referrer',
  };
}
