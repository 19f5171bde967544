/* Swagger UI from local files (works offline, no inline script: the page keeps a strict CSP). */
window.addEventListener("DOMContentLoaded", function () {
  "use strict";
  window.SwaggerUIBundle({ url: "/openapi.json", dom_id: "#swagger-ui", deepLinking: true });
});
