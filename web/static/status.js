// The status page's live regions ("what needs doing now" and the timeline) refresh on their
// own, so an officer watching an incident sees acknowledgements and new events without
// reloading. Only those regions are replaced: no form is inside them, so nothing being typed
// is lost. Without this file the page works the same, a reload at a time.

const EVERY_MS = 10000;

const source = document.querySelector("[data-live-url]");
const announcement = document.getElementById("status-announcement");

async function refresh() {
  if (!source || document.hidden) return;
  let answer;
  try {
    answer = await fetch(source.dataset.liveUrl, {
      headers: { Accept: "text/html" },
      credentials: "same-origin",
      cache: "no-store",
    });
  } catch {
    return; // offline for a moment: the next round tries again
  }
  if (!answer.ok || answer.redirected) return; // signed out, or gone: leave the page as it is
  const fragment = new DOMParser().parseFromString(await answer.text(), "text/html");
  let newEvents = false;
  for (const fresh of fragment.querySelectorAll("[data-live-region][id]")) {
    const current = document.getElementById(fresh.id);
    if (!current || current.innerHTML === fresh.innerHTML) continue;
    if (current.contains(document.activeElement)) continue; // never move someone's focus
    current.replaceWith(document.importNode(fresh, true));
    // The time left changes every minute; only a new event is worth saying aloud.
    newEvents ||= fresh.id === "status-timeline";
  }
  // One short sentence per change, politely: not the whole region read out again.
  if (newEvents && announcement) {
    announcement.textContent = "";
    window.setTimeout(() => {
      announcement.textContent = source.dataset.updatedText || "";
    }, 100);
  }
}

if (source) {
  window.setInterval(refresh, EVERY_MS);
  document.addEventListener("visibilitychange", () => {
    if (!document.hidden) refresh();
  });
}
