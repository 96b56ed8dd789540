// Keeps what was typed on a live screen when the idle limit signs it out.
//
// The server answers the screen's next poll with an "openmarac:signed-out" event and
// then sends the page to sign in (htmx handles the event first). Before the page
// goes, each form changed since it was loaded is posted to the server, which keeps it
// in this browser's signed-out session and gives it back to the same person after they
// sign in again. Nothing is kept in the browser's own storage: a shared computer must
// not hold case notes. sendBeacon is used because it outlives the page.
const changed = new Set();

document.addEventListener("input", (event) => {
  const form = event.target.closest("form[data-keep-draft]");
  if (form) changed.add(form);
});

document.addEventListener("openmarac:signed-out", () => {
  for (const form of changed) {
    const data = new FormData(form);
    data.set("page", window.location.pathname + window.location.search);
    navigator.sendBeacon(form.dataset.keepDraft, data);
  }
  changed.clear();
});
