// Loaded as a module: no inline script is allowed by the Content Security Policy.
import { initAll } from "/static/govuk-frontend/govuk-frontend.min.js";

document.body.classList.add("js-enabled", "govuk-frontend-supported");
initAll();

// Conditional reveals (the GOV.UK pattern: a question shown beneath the answer it
// belongs to). Done here rather than by GOV.UK Frontend's radios script, which also
// sets aria-expanded on the radios: invalid ARIA for a radio (govuk-frontend #979),
// and every page here must pass axe-core. Without JavaScript everything shows.
const revealGroups = new Set([...document.querySelectorAll("input[type=radio][data-reveals]")].map((radio) => radio.name));
for (const name of revealGroups) {
  const group = document.querySelectorAll(`input[type=radio][name="${CSS.escape(name)}"]`);
  const sync = () => {
    for (const member of group) {
      const target = member.dataset.reveals && document.getElementById(member.dataset.reveals);
      if (target) target.classList.toggle("govuk-radios__conditional--hidden", !member.checked);
    }
  };
  for (const member of group) member.addEventListener("change", sync);
  sync();
}
