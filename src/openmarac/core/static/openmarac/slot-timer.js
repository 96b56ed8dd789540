// Counts down the current case's slot so the chair can keep time (no inline script).
const timer = document.getElementById("slot-timer");
if (timer) {
  const end = new Date(timer.dataset.slotEnd);
  const tick = () => {
    const minutes = Math.round((end - new Date()) / 60000);
    // Count down only around the meeting itself; otherwise the slot's times stand.
    if (Math.abs(minutes) > 180) return;
    timer.textContent = minutes >= 0 ? `${minutes} minute${minutes === 1 ? "" : "s"} left in this case’s slot` : `${-minutes} minute${minutes === -1 ? "" : "s"} over this case’s slot`;
  };
  tick();
  setInterval(tick, 15000);
}
