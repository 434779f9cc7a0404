/**
 * Content-Security-Policy of the renderer, in the desktop app and in the browser (`expman ui`). It is also
 * the `<meta http-equiv>` in src/renderer/index.html (keep the two identical; a test checks). `connect-src
 * 'self'` covers the browser transport's same-origin WebSocket (CSP Level 3 matches ws: to the page's origin).
 */
export const CONTENT_SECURITY_POLICY =
  "default-src 'self'; script-src 'self'; style-src 'self' 'unsafe-inline'; img-src 'self' data:; connect-src 'self'";
