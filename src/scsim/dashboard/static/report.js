// The page shown while a run's HTML report is built: ask the dashboard to build it, then
// show it (the dashboard then serves the stored report), or say in words why it could not.
"use strict";

(async () => {
  const status = document.getElementById("report-status");
  try {
    const response = await fetch(location.pathname + "?build=1");
    const data = await response.json();
    if (response.ok) { location.replace(location.pathname); return; }
    status.textContent = `The report could not be built: ${data.error}`;
  } catch (err) {
    status.textContent = "The report could not be built: the dashboard did not answer " +
      "(is scsim dashboard still running?).";
  }
  status.dataset.state = "failed";
  document.getElementById("report-progress").hidden = true;
})();
