// The dashboard's only script (the CSP allows no inline code): local times, "Copy text", send progress.
"use strict";

// Stored times (UTC on the page) in the reader's own time zone; the UTC text stays as a tooltip.
// Worded in the page's language, in the browser's regional variant of it when it has one (es-MX).
document.addEventListener("DOMContentLoaded", () => {
  const language = document.documentElement.lang;
  const locale = navigator.languages.find((tag) => tag.split("-")[0] === language) || language || undefined;
  const format = new Intl.DateTimeFormat(locale, { dateStyle: "medium", timeStyle: "short" });
  for (const element of document.querySelectorAll("time[datetime]")) {
    const moment = new Date(element.getAttribute("datetime"));
    if (Number.isNaN(moment.getTime())) continue;
    element.title = element.textContent;
    element.textContent = format.format(moment);
  }
});

// "Copy text" on a Group draft. Without clipboard access the draft's box is selected for
// copying by hand; without JavaScript the button stays hidden and the box is still there.
// What it says comes from the button's data-copied and data-copy-failed, in the page's language.
document.addEventListener("DOMContentLoaded", () => {
  for (const button of document.querySelectorAll("button[data-copy]")) {
    const source = document.getElementById(button.dataset.copy);
    const status = button.parentElement.querySelector(".copied");
    if (!source || !status) continue;
    button.hidden = false;
    button.addEventListener("click", async () => {
      status.textContent = "";
      status.textContent = (await copyText(source)) ? button.dataset.copied : button.dataset.copyFailed;
    });
  }
});

async function copyText(source) {
  try {
    await navigator.clipboard.writeText(source.value);
    return true;
  } catch (refused) {
    source.focus();
    source.select();
    try {
      return document.execCommand("copy");
    } catch (unsupported) {
      return false;
    }
  }
}

// Replies being sent: ask how it went every few seconds. When one is done, reload to show the
// outcome (and its Retry button), unless the admin has started typing somewhere on the page.
document.addEventListener("DOMContentLoaded", () => {
  const watched = new Set(document.querySelectorAll("[data-status-url]"));
  if (!watched.size) return;
  let typing = false;
  document.addEventListener("input", () => { typing = true; });
  let rounds = 0;
  const timer = setInterval(async () => {
    rounds += 1;
    if (rounds > 80 || !watched.size) return clearInterval(timer);
    for (const element of watched) {
      const reply = await fetchStatus(element.dataset.statusUrl);
      if (!reply || reply.status === element.dataset.status) continue;
      const done = reply.status !== "approved" && reply.status !== "sending";
      if (done && !typing) return location.reload();
      element.dataset.status = reply.status;
      element.className = "status status-" + reply.status;
      element.textContent = reply.label;
      if (done) watched.delete(element);
    }
  }, 1500);
});

async function fetchStatus(url) {
  try {
    const response = await fetch(url, { headers: { Accept: "application/json" }, credentials: "same-origin" });
    return response.ok ? await response.json() : null;
  } catch (notJson) {
    return null;  // signed out meanwhile (the sign-in page came back) or offline
  }
}
