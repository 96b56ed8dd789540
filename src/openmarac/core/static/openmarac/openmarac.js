// Loaded as a module: no inline script is allowed by the Content Security Policy.
import { initAll } from "/static/govuk-frontend/govuk-frontend.min.js";

document.body.classList.add("js-enabled", "govuk-frontend-supported");
initAll();
