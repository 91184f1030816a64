// Live quiz, host screen (the projector): drives the game over /ws/live/host/<id>/ (docs/live-protocol.md).
// Every text comes from the page (#live-strings, translated by Django); server data is only ever written with
// textContent. On (re)connect the server sends a `state` snapshot and the page resumes where the game stands.
(function () {
  "use strict";
  const root = document.getElementById("live-host");
  if (!root) return;
  const S = JSON.parse(document.getElementById("live-strings").textContent);
  const { fmt, el, shapeIcon } = window.LiveCommon;
  const shapeMark = (choice) => window.LiveCommon.shapeMark(choice, S.shapes);
  const $ = (id) => document.getElementById(id);
  const storeKey = "live-host-" + root.dataset.session;


  const game = {
    state: null, index: -1, count: 0, total: 0, locked: false,
    players: new Map(), // id -> nickname (lobby list)
    question: null, reveal: null, paused: false, endsAt: 0, remaining: 0,
  };


  // --- Persistence across reloads: the snapshot has no reveal payload, so keep the last one here.
  function remember() {
    try {
      sessionStorage.setItem(storeKey, JSON.stringify({ question: game.question, reveal: game.reveal }));
    } catch (e) { /* private mode: resuming shows less, nothing breaks */ }
  }
  function recall() {
    try { return JSON.parse(sessionStorage.getItem(storeKey) || "{}") || {}; } catch (e) { return {}; }
  }

  // --- Views ----------------------------------------------------------------------------------
  const views = ["connecting", "lobby", "question", "reveal", "leaderboard", "ended"];
  function show(view) {
    views.forEach((name) => { $("view-" + name).hidden = name !== view; });
    root.dataset.view = view;
    $("end-btn").hidden = view === "ended" || view === "connecting";
    updateProgress();
  }
  function updateProgress() {
    const inGame = game.index >= 0 && game.state !== "lobby" && game.state !== "ended";
    $("host-progress").textContent = inGame ? fmt(S.progress, { index: game.index + 1, count: game.count }) : "";
  }
  function setTotal(total) {
    game.total = total;
    $("host-total").textContent = total;
    $("lobby-count").textContent = total;
    $("answer-total").textContent = total;
    $("start-btn").disabled = total === 0;
  }
  let errorTimer = null;
  function showError(message) {
    const box = $("host-error");
    box.textContent = message;
    box.hidden = false;
    clearTimeout(errorTimer);
    errorTimer = setTimeout(() => { box.hidden = true; }, 8000);
  }
  function setConnection(state) {
    const node = $("host-connection");
    node.dataset.state = state;
    node.textContent = S[state] || "";
  }

  // Lobby: keyed updates (remove who left, append who came) so that a focused button stays put.
  function renderPlayers(list) {
    const wanted = new Map(list.map((p) => [p.id, p.nickname]));
    const ul = $("players");
    Array.from(ul.children).forEach((li) => {
      if (!wanted.has(Number(li.dataset.playerId))) li.remove();
    });
    const present = new Set(Array.from(ul.children).map((li) => Number(li.dataset.playerId)));
    list.forEach((p) => { if (!present.has(p.id)) ul.appendChild(playerChip(p)); });
    game.players = wanted;
    $("players-empty").hidden = list.length > 0;
  }
  function playerChip(p) {
    const li = el("li", "player-chip");
    li.dataset.playerId = p.id;
    li.dataset.nickname = p.nickname;
    li.appendChild(el("span", "player-name", p.nickname));
    const kick = el("button", "kick-btn", "×");
    kick.type = "button";
    kick.dataset.kick = p.id;
    kick.setAttribute("aria-label", fmt(S.kick, { nickname: p.nickname }));
    kick.title = fmt(S.kick, { nickname: p.nickname });
    li.appendChild(kick);
    return li;
  }
  function removePlayer(id) {
    const li = $("players").querySelector('[data-player-id="' + id + '"]');
    if (li) {
      const hadFocus = li.contains(document.activeElement);
      const next = li.nextElementSibling || li.previousElementSibling;
      li.remove();
      if (hadFocus) (next ? next.querySelector("button") : $("start-btn")).focus();
    }
    game.players.delete(id);
    $("players-empty").hidden = game.players.size > 0;
  }
  function renderLock() {
    const button = $("lock-btn");
    button.setAttribute("aria-pressed", String(game.locked));
    button.textContent = game.locked ? S.unlock : S.lock;
    $("lock-status").hidden = !game.locked;
  }

  // Question
  function renderQuestion(q, answered) {
    game.question = q;
    game.index = q.index;
    game.count = q.count;
    game.reveal = null;
    remember();
    $("q-progress").textContent = fmt(S.progress, { index: q.index + 1, count: q.count });
    $("q-text").textContent = q.text;
    const image = $("q-image");
    if (q.image) { image.src = q.image; image.hidden = false; } else { image.hidden = true; image.removeAttribute("src"); }
    const tiles = $("q-tiles");
    tiles.replaceChildren();
    tiles.dataset.kind = q.kind;
    q.choices.forEach((choice, i) => {
      const li = el("li", "tile");
      li.dataset.color = choice.color;
      li.dataset.shape = choice.shape;
      li.dataset.choiceId = choice.id;
      li.appendChild(shapeMark(choice));
      if (q.kind === "ordering") li.appendChild(el("span", "tile-order", String.fromCharCode(65 + i) + "."));
      li.appendChild(el("span", "tile-text", choice.text));
      tiles.appendChild(li);
    });
    tiles.hidden = q.choices.length === 0;
    $("q-typed-hint").hidden = q.kind !== "short_text";
    $("q-order-hint").hidden = q.kind !== "ordering";
    $("answer-count").textContent = answered || 0;
    setTimer(q.remaining_ms, q.time_limit_ms, q.paused);
    show("question");
  }
  function setTimer(remaining, limit, paused) {
    if (limit) game.limit = limit;
    game.paused = Boolean(paused);
    game.remaining = remaining;
    game.endsAt = performance.now() + remaining;
    $("q-paused").hidden = !game.paused;
    $("pause-btn").textContent = game.paused ? S.resume : S.pause;
    $("pause-btn").setAttribute("aria-pressed", String(game.paused));
    $("countdown-box").classList.toggle("paused", game.paused);
    tick();
  }
  function msLeft() {
    return game.paused ? game.remaining : Math.max(0, game.endsAt - performance.now());
  }
  function tick() {
    if (game.state !== "question") return;
    const left = msLeft();
    const seconds = Math.ceil(left / 1000);
    const number = $("countdown");
    if (number.textContent !== String(seconds)) number.textContent = seconds;
    $("countdown-box").classList.toggle("urgent", seconds <= 5);
    const fraction = game.limit ? Math.max(0, Math.min(1, left / game.limit)) : 0;
    $("timebar-fill").style.transform = "scaleX(" + fraction.toFixed(4) + ")";
  }
  setInterval(tick, 200);

  // Reveal: right answers marked ✓, the distribution as bars with the counts written out.
  function renderReveal(r, q) {
    game.reveal = r;
    if (r) remember();
    const known = r && q && q.index === r.index;
    $("r-progress").textContent = fmt(S.progress, { index: game.index + 1, count: game.count });
    $("r-text").textContent = known ? q.text : "";
    $("r-missing").hidden = Boolean(known);
    const dist = $("r-dist");
    dist.replaceChildren();
    $("r-accepted-box").hidden = true;
    $("r-order-box").hidden = true;
    $("r-explanation-box").hidden = true;
    $("r-answered").textContent = r ? fmt(S.answered, { n: r.answered, m: r.players }) : "";
    if (known) {
      const correct = new Set(r.correct); // choice tokens, as in the question
      if (r.kind === "short_text") {
        $("r-accepted").replaceChildren(...r.accepted.map((text) => el("li", "", text)));
        $("r-accepted-box").hidden = r.accepted.length === 0;
      } else if (r.kind === "ordering") {
        const byId = new Map(q.choices.map((c) => [c.id, c]));
        $("r-order").replaceChildren(...r.correct.map((id) => el("li", "", byId.has(id) ? byId.get(id).text : id)));
        $("r-order-box").hidden = false;
      } else {
        const counts = q.choices.map((c) => Number(r.distribution[c.id] || 0));
        const most = Math.max(1, ...counts);
        q.choices.forEach((choice, i) => {
          const right = correct.has(choice.id);
          const li = el("li", "dist-row" + (right ? " is-right" : " is-wrong"));
          li.dataset.color = choice.color;
          li.dataset.choiceId = choice.id;
          li.dataset.count = counts[i];
          if (right) li.dataset.right = "true";
          const label = el("span", "dist-label");
          label.appendChild(shapeMark(choice));
          label.appendChild(el("span", "dist-text", choice.text));
          if (right) {
            const tick = el("span", "right-mark");
            tick.appendChild(el("span", "", "✓"));
            tick.appendChild(el("span", "visually-hidden", " " + S.right));
            label.appendChild(tick);
          }
          li.appendChild(label);
          const bar = el("span", "dist-bar");
          const fill = el("span", "dist-fill");
          fill.style.width = (100 * counts[i] / most).toFixed(1) + "%";
          bar.appendChild(fill);
          bar.setAttribute("aria-hidden", "true");
          li.appendChild(bar);
          const count = el("span", "dist-count", counts[i]);
          count.setAttribute("aria-label", fmt(S.votes, { n: counts[i] }));
          li.appendChild(count);
          dist.appendChild(li);
        });
      }
      if (r.explanation) {
        $("r-explanation").textContent = r.explanation;
        $("r-explanation-box").hidden = false;
      }
    }
    const last = game.index + 1 >= game.count;
    $("next-btn").textContent = last ? S.finish : S.next;
    $("leaderboard-btn").hidden = false;
    show("reveal");
  }

  function changeMark(change) {
    const span = el("span", "change " + (change > 0 ? "up" : change < 0 ? "down" : "same"));
    if (change > 0) {
      span.appendChild(el("span", "", "▲ " + change));
      span.appendChild(el("span", "visually-hidden", " " + fmt(S.up, { n: change })));
    } else if (change < 0) {
      span.appendChild(el("span", "", "▼ " + -change));
      span.appendChild(el("span", "visually-hidden", " " + fmt(S.down, { n: -change })));
    } else {
      span.appendChild(el("span", "", "–"));
      span.appendChild(el("span", "visually-hidden", " " + S.same));
    }
    return span;
  }
  function renderLeaderboard(board) {
    if (board && typeof board.index === "number") game.index = board.index;
    const ol = $("board");
    ol.replaceChildren();
    (board ? board.top : []).forEach((row) => {
      const li = el("li", "board-row");
      li.dataset.player = row.player;
      li.dataset.rank = row.rank;
      li.dataset.score = row.score;
      li.appendChild(el("span", "board-rank", row.rank));
      li.appendChild(el("span", "board-name", row.nickname));
      li.appendChild(el("span", "board-score", row.score));
      li.appendChild(changeMark(row.change || 0));
      ol.appendChild(li);
    });
    const last = game.index + 1 >= game.count;
    $("board-next-btn").textContent = last ? S.finish : S.next;
    show("leaderboard");
  }

  function renderPodium(podium) {
    const ol = $("podium");
    ol.replaceChildren();
    podium.slice(0, 3).forEach((row, i) => {
      const li = el("li", "podium-step");
      li.dataset.place = i + 1;
      li.dataset.rank = row.rank;
      li.dataset.player = row.player;
      li.dataset.score = row.score;
      li.appendChild(el("span", "podium-name", row.nickname));
      li.appendChild(el("span", "podium-score", fmt(S.points, { n: row.score })));
      const block = el("span", "podium-block");
      block.appendChild(el("span", "podium-place", S.places[String(row.rank)] || "#" + row.rank));
      li.appendChild(block);
      ol.appendChild(li);
    });
    $("podium-empty").hidden = podium.length > 0;
    try { sessionStorage.removeItem(storeKey); } catch (e) { /* ignore */ }
    show("ended");
  }
  // After a reload at the end the snapshot lists everyone's score: the podium is its top three.
  function podiumFromPlayers(players) {
    const sorted = players.slice().sort((a, b) => b.score - a.score); // stable: join order breaks ties
    let rank = 0;
    return sorted.slice(0, 3).map((p, i) => {
      if (i === 0 || p.score !== sorted[i - 1].score) rank = i + 1;
      return { player: p.id, nickname: p.nickname, score: p.score, rank: rank };
    });
  }

  // --- Messages ----------------------------------------------------------------------------------
  function onMessage(m) {
    switch (m.type) {
      case "state": {
        setConnection("connected");
        game.state = m.state;
        game.index = m.index;
        game.count = m.count;
        game.locked = m.locked;
        renderLock();
        setTotal(m.total);
        renderPlayers(m.players);
        const saved = recall();
        if (m.state === "lobby") show("lobby");
        else if (m.state === "question") renderQuestion(m.question, m.answered);
        else if (m.state === "reveal") {
          game.question = saved.question || null;
          renderReveal(saved.reveal && saved.reveal.index === m.index ? saved.reveal : null, game.question);
        } else if (m.state === "leaderboard") {
          game.question = saved.question || null;
          game.reveal = saved.reveal || null;
          renderLeaderboard(m.leaderboard);
        } else if (m.state === "ended") renderPodium(podiumFromPlayers(m.players));
        break;
      }
      case "players":
        setTotal(m.total);
        renderPlayers(m.players);
        break;
      case "answer_count":
        if (m.index === game.index) $("answer-count").textContent = m.answered;
        setTotal(m.players);
        break;
      case "question":
        game.state = "question";
        renderQuestion(m, 0);
        break;
      case "paused":
      case "resumed":
      case "time_up": // the host ended the question early: the reveal follows after the grace
        if (m.index === game.index) setTimer(m.remaining_ms, null, m.type === "paused");
        break;
      case "reveal":
        game.state = "reveal";
        game.index = m.index;
        renderReveal(m, game.question);
        break;
      case "leaderboard":
        game.state = "leaderboard";
        renderLeaderboard(m);
        break;
      case "ended":
        game.state = "ended";
        renderPodium(m.podium || []);
        break;
      case "locked":
        game.locked = m.locked;
        renderLock();
        break;
      case "kicked":
        removePlayer(m.player);
        break;
      case "error":
        showError(m.message || m.code);
        break;
      default:
        break; // pong and anything newer
    }
  }

  // --- Connection: the site's socket module (static/js/socket.js: back-off, heartbeat, wake-up) ----------
  let connection = null;
  function send(message) {
    if (connection && connection.send(message)) return true;
    showError(S.reconnecting);
    return false;
  }

  // --- Controls ----------------------------------------------------------------------------------
  $("start-btn").addEventListener("click", () => send({ type: "start" }));
  $("lock-btn").addEventListener("click", () => send({ type: "lock", locked: !game.locked }));
  $("players").addEventListener("click", (event) => {
    const button = event.target.closest("button[data-kick]");
    if (!button) return;
    const id = Number(button.dataset.kick);
    const nickname = game.players.get(id) || "";
    if (window.confirm(fmt(S.kick_confirm, { nickname: nickname }))) send({ type: "kick", player: id });
  });
  $("pause-btn").addEventListener("click", () => send({ type: game.paused ? "resume" : "pause" }));
  $("skip-btn").addEventListener("click", () => send({ type: "skip" }));
  $("reveal-btn").addEventListener("click", () => send({ type: "reveal" }));
  $("leaderboard-btn").addEventListener("click", () => send({ type: "leaderboard" }));
  $("next-btn").addEventListener("click", () => send({ type: "next" }));
  $("board-next-btn").addEventListener("click", () => send({ type: "next" }));
  $("end-btn").addEventListener("click", () => {
    if (window.confirm(S.end_confirm)) send({ type: "end" });
  });
  const fullscreen = $("fullscreen-btn");
  if (!document.fullscreenEnabled) fullscreen.hidden = true;
  fullscreen.addEventListener("click", () => {
    if (document.fullscreenElement) document.exitFullscreen();
    else root.requestFullscreen().catch(() => {});
  });

  setConnection("connecting");
  connection = SiteSocket.open(root.dataset.wsPath, {
    heartbeat: true,
    onMessage: onMessage,
    onClose(event) {
      if (event.code !== 4403) return true;
      setConnection("forbidden");
      showError(S.forbidden);
      return false;
    },
    onReconnecting() { setConnection("reconnecting"); },
  });
})();
