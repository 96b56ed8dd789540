// The risk checklist's "score so far", updated as answers are ticked on this page.
// Progressive enhancement only: the server counts the score again when it saves the
// page and when the referral is recorded.
const panel = document.getElementById("checklist-score");
// The panel sits before the form (the referral) or inside it (a new checklist on a case).
const form = panel && (panel.closest("form") || panel.parentElement.querySelector("form"));
if (panel && form) {
  const shown = panel.querySelector("[data-score]");
  const elsewhere = Number(panel.dataset.scoreElsewhere) || 0;
  const scored = panel.dataset.scoredAnswer || "yes";
  const update = () => {
    const ticked = form.querySelectorAll(`input[type="radio"][name$="__answer"][value="${scored}"]:checked`).length;
    shown.textContent = String(elsewhere + ticked);
  };
  form.addEventListener("change", (event) => {
    if (event.target.name && event.target.name.endsWith("__answer")) update();
  });
}
