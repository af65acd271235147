// petrel webmail: the browser app. It talks only to petrel's JSON API
// (docs/WEB-API.md); mail content is never put into this page's DOM as
// markup: headers go in as text, bodies are shown in a sandboxed frame
// that petrel fills with sanitised HTML under its own strict CSP.
// SPDX-License-Identifier: ISC

const PAGE = 100;		// messages fetched per request
const POLL_MS = 15000;		// how often folders are checked for news

const $ = (id) => document.getElementById(id);

const state = {
	csrf: null,
	user: null,
	folders: [],
	folder: "INBOX",
	total: 0,
	pages: new Map(),	// page number -> array of summaries
	loading: new Set(),
	current: -1,		// index in the sorted list
	selected: new Set(),	// uids
	msg: null,		// the open message
	contacts: new Set(),
	remote: false,
	folderStamp: "",
	composeUploads: [],
	replyTo: null,
	forward: null,
	draftUid: null,		// the saved draft a new save replaces
	threads: false,		// the list shows conversations
	eventStamp: null,
};

// ---- The API -------------------------------------------------------------

class ApiError extends Error {
	constructor(status, body) {
		super((body && body.error) || ("HTTP " + status));
		this.status = status;
		this.missing = body && body.missing;
	}
}

async function api(method, path, body, isForm) {
	const headers = {};
	const init = { method, headers, credentials: "same-origin" };
	if (method !== "GET" && method !== "HEAD")
		headers["X-CSRF-Token"] = state.csrf || "";
	if (body !== undefined && !isForm) {
		headers["Content-Type"] = "application/json";
		init.body = JSON.stringify(body);
	} else if (isForm)
		init.body = body;
	const res = await fetch(path, init);
	let data = null;
	if (res.status !== 204)
		data = await res.json().catch(() => null);
	if (res.status === 401 && path !== "/api/login") {
		showSignin();
		throw new ApiError(401, data);
	}
	if (!res.ok)
		throw new ApiError(res.status, data);
	return data;
}

function folderPath(name) {
	return "/api/folders/" + encodeURIComponent(name);
}

function report(err) {
	if (err.status === 501)
		toast("Not available yet on this server (needs " +
		    err.missing + ")");
	else if (err.status !== 401)
		toast(err.message);
}

let toastTimer = 0;
function toast(text) {
	const t = $("toast");
	t.textContent = text;
	t.hidden = false;
	clearTimeout(toastTimer);
	toastTimer = setTimeout(() => { t.hidden = true; }, 4000);
}

// ---- Signing in and out ----------------------------------------------------

function showSignin() {
	state.csrf = null;
	$("app").hidden = true;
	$("signin").hidden = false;
	$("signin-user").focus();
}

async function signedIn(info) {
	state.csrf = info.csrf;
	state.user = info.user;
	$("user").textContent = info.user;
	$("signin").hidden = true;
	$("app").hidden = false;
	await loadFolders();
	await openFolder(state.folder);
	$("list").focus();
}

async function onSignin(ev) {
	ev.preventDefault();
	$("signin-error").textContent = "";
	$("signin-submit").disabled = true;
	try {
		const info = await api("POST", "/api/login", {
			user: $("signin-user").value.trim(),
			password: $("signin-password").value,
		});
		$("signin-password").value = "";
		await signedIn(info);
	} catch (err) {
		$("signin-error").textContent = err.status === 401 ?
		    "Wrong address or password." : err.message;
	} finally {
		$("signin-submit").disabled = false;
	}
}

async function onSignout() {
	try {
		await api("POST", "/api/logout");
	} catch (err) {
		report(err);
	}
	location.reload();
}

// ---- Folders ---------------------------------------------------------------

async function loadFolders() {
	const data = await api("GET", "/api/folders");
	state.folders = data.folders;
	const ul = $("folder-list");
	ul.replaceChildren();
	const move = document.querySelector("[data-action=move]");
	move.replaceChildren(new Option("Move to\u2026", ""));
	for (const f of data.folders) {
		const li = document.createElement("li");
		li.dataset.folder = f.name;
		li.classList.toggle("current", f.name === state.folder);
		const name = document.createElement("span");
		name.textContent = f.name;
		li.append(name);
		if (f.unread > 0) {
			const n = document.createElement("span");
			n.className = "unread";
			n.textContent = f.unread;
			li.append(n);
		}
		li.addEventListener("click", () => {
			$("folders").classList.remove("open");
			openFolder(f.name);
		});
		ul.append(li);
		move.append(new Option(f.name, f.name));
	}
	return data.folders;
}

function folderStamp(folders) {
	const f = folders.find((x) => x.name === state.folder);
	return f ? f.uidnext + ":" + f.modseq + ":" + f.total : "";
}

// New mail without a reload: the folder list carries each folder's
// uidnext and modseq, which change with every delivery and change.
async function poll() {
	if (!state.csrf || document.hidden)
		return;
	try {
		const folders = await loadFolders();
		const stamp = folderStamp(folders);
		if (stamp !== state.folderStamp) {
			state.folderStamp = stamp;
			refreshList();
		}
	} catch (err) {
		if (err.status !== 401)
			console.warn(err);
	}
}

// New mail without a reload: GET /api/events answers when anything of
// the account changes (or after a while with nothing new); polling above
// stays as the fallback.
async function events() {
	for (;;) {
		if (!state.csrf) {
			state.eventStamp = null;
			await new Promise((ok) => setTimeout(ok, 500));
			continue;
		}
		try {
			const q = state.eventStamp ? "?since=" +
			    encodeURIComponent(state.eventStamp) : "";
			const data = await api("GET", "/api/events" + q);
			const isFirst = state.eventStamp === null;
			state.eventStamp = data.stamp;
			if (isFirst || data.changed)
				await poll();
		} catch (err) {
			await new Promise((ok) => setTimeout(ok, 5000));
		}
	}
}

async function folderAction(kind) {
	try {
		if (kind === "new") {
			const name = prompt("New folder name");
			if (name)
				await api("POST", "/api/folders", { name });
		} else if (kind === "rename") {
			const name = prompt("Rename " + state.folder + " to",
			    state.folder);
			if (name)
				await api("PATCH", folderPath(state.folder),
				    { name });
		} else if (confirm("Delete the folder " + state.folder +
		    " and its messages?"))
			await api("DELETE", folderPath(state.folder));
		await loadFolders();
	} catch (err) {
		report(err);
	}
}

// ---- The message list: virtual scrolling over pages fetched on demand -----

function rowHeight() {
	return parseInt(getComputedStyle(document.documentElement)
	    .getPropertyValue("--row"), 10) || 60;
}

async function openFolder(name) {
	state.folder = name;
	state.pages.clear();
	state.loading.clear();
	state.current = -1;
	state.selected.clear();
	state.search = null;
	for (const li of $("folder-list").children)
		li.classList.toggle("current", li.dataset.folder === name);
	$("list-title").textContent = name;
	$("list").scrollTop = 0;
	closeReader();
	await fetchPage(0);
	state.folderStamp = folderStamp(state.folders);
	render();
}

function refreshList() {
	state.pages.clear();
	state.loading.clear();
	fetchPage(Math.floor(firstVisible() / PAGE)).then(render);
}

async function fetchPage(page) {
	if (state.pages.has(page) || state.loading.has(page))
		return;
	state.loading.add(page);
	try {
		const data = await api("GET", folderPath(state.folder) +
		    (state.threads ? "/threads" : "/messages") + "?offset=" +
		    page * PAGE + "&limit=" + PAGE);
		state.total = data.total;
		const list = state.threads ? data.threads.map(threadSummary) :
		    data.messages;
		state.pages.set(page, list);
		for (const m of list)
			if (m.from && m.from.address)
				rememberContact(m.from);
		$("list-count").textContent = state.threads ? data.total +
		    " conversations" : data.unread > 0 ?
		    data.unread + " unread of " + data.total : data.total;
	} catch (err) {
		report(err);
	} finally {
		state.loading.delete(page);
	}
}

// A conversation is shown as its newest message, with the count.
function threadSummary(t) {
	const last = t.messages.reduce((a, m) => m.date >= a.date ? m : a,
	    t.messages[0]);
	return Object.assign({}, last, { subject: t.subject, count: t.count,
	    flags: t.unread > 0 ? last.flags.filter((f) => f !== "seen") :
	    last.flags.concat(["seen"]) });
}

function toggleThreads() {
	state.threads = !state.threads;
	$("threads-toggle").setAttribute("aria-pressed", String(state.threads));
	openFolder(state.folder);
}

function summaryAt(i) {
	const page = state.pages.get(Math.floor(i / PAGE));
	return page ? page[i % PAGE] : undefined;
}

function firstVisible() {
	return Math.floor($("list").scrollTop / rowHeight());
}

function formatDate(secs) {
	const d = new Date(secs * 1000), now = new Date();
	if (d.toDateString() === now.toDateString())
		return d.toLocaleTimeString([], { hour: "2-digit",
		    minute: "2-digit" });
	return d.toLocaleDateString([], d.getFullYear() === now.getFullYear() ?
	    { month: "short", day: "numeric" } :
	    { year: "numeric", month: "short", day: "numeric" });
}

function who(a) {
	return a ? (a.name || a.address || "") : "";
}

function makeRow(i, m, h) {
	const row = document.createElement("div");
	row.className = "row";
	row.style.top = (i * h) + "px";
	row.dataset.index = i;
	row.setAttribute("role", "option");
	const check = document.createElement("input");
	check.type = "checkbox";
	check.className = "check";
	check.setAttribute("aria-label", "Select");
	const from = document.createElement("span");
	from.className = "from";
	const date = document.createElement("span");
	date.className = "date";
	const subject = document.createElement("span");
	subject.className = "subject";
	row.append(check, from, date, subject);
	if (!m) {
		row.classList.add("loading");
		subject.textContent = "\u2026";
		return row;
	}
	const flags = m.flags || [];
	row.dataset.uid = m.uid;
	row.classList.toggle("unread", !flags.includes("seen"));
	row.classList.toggle("current", i === state.current);
	row.classList.toggle("selected", state.selected.has(m.uid));
	check.checked = state.selected.has(m.uid);
	from.textContent = (flags.includes("flagged") ? "\u2605 " : "") +
	    who(m.from);
	date.textContent = (m.has_attachments ? "\u2709+ " : "") +
	    formatDate(m.date);
	subject.textContent = (m.count > 1 ? "(" + m.count + ") " : "") +
	    (m.subject || "(no subject)");
	return row;
}

// Only the rows in view (and a screenful either side) exist in the DOM,
// so a folder of 100,000 messages costs what a folder of 50 does. A
// scroll that keeps the same rows in view changes nothing.
let rendered = "";

function onScroll() {
	const h = rowHeight(), list = $("list");
	const first = Math.max(0, firstVisible() - 10);
	const last = Math.min(state.total, first +
	    Math.ceil(list.clientHeight / h) + 20);
	if (rendered !== first + ":" + last)
		render();
}

function render() {
	const list = $("list"), h = rowHeight();
	$("list-spacer").style.height = (state.total * h) + "px";
	const first = Math.max(0, firstVisible() - 10);
	const count = Math.ceil(list.clientHeight / h) + 20;
	const last = Math.min(state.total, first + count);
	rendered = first + ":" + last;
	for (let p = Math.floor(first / PAGE); p * PAGE < last; p++)
		if (!state.pages.has(p) && !state.loading.has(p))
			fetchPage(p).then(render);
	const rows = document.createDocumentFragment();
	for (let i = first; i < last; i++)
		rows.append(makeRow(i, summaryAt(i), h));
	for (const old of list.querySelectorAll(".row"))
		old.remove();
	list.append(rows);
	$("selection-actions").hidden = state.selected.size === 0;
}

function onListClick(ev) {
	const row = ev.target.closest(".row");
	if (!row || !row.dataset.uid)
		return;
	const i = Number(row.dataset.index), uid = Number(row.dataset.uid);
	if (ev.target.classList.contains("check") || ev.ctrlKey ||
	    ev.metaKey) {
		toggleSelect(uid);
		return;
	}
	if (ev.shiftKey && state.current >= 0) {
		const [a, b] = [Math.min(i, state.current),
		    Math.max(i, state.current)];
		for (let k = a; k <= b; k++) {
			const m = summaryAt(k);
			if (m)
				state.selected.add(m.uid);
		}
		render();
		return;
	}
	openMessage(i);
}

function toggleSelect(uid) {
	if (state.selected.has(uid))
		state.selected.delete(uid);
	else
		state.selected.add(uid);
	render();
}

// ---- Reading ---------------------------------------------------------------

function closeReader() {
	state.msg = null;
	$("reader").hidden = true;
	$("app").classList.remove("reading");
	$("msg-frame").removeAttribute("src");
}

function addrList(list) {
	return (list || []).map((a) => a.name ? a.name + " <" + a.address +
	    ">" : a.address).join(", ");
}

async function openMessage(i) {
	const m = summaryAt(i);
	if (!m)
		return;
	state.current = i;
	state.remote = false;
	render();
	scrollIntoView(i);
	let msg;
	try {
		msg = await api("GET", folderPath(state.folder) + "/messages/" +
		    m.uid);
	} catch (err) {
		report(err);
		return;
	}
	state.msg = msg;
	$("reader").hidden = false;
	$("app").classList.add("reading");
	$("msg-subject").textContent = msg.subject || "(no subject)";
	$("msg-from").textContent = addrList(msg.from);
	$("msg-to").textContent = addrList(msg.to);
	$("msg-cc").textContent = addrList(msg.cc);
	$("msg-cc").hidden = $("msg-cc-label").hidden = msg.cc.length === 0;
	$("msg-date").textContent = new Date(msg.date * 1000).toLocaleString();
	$("raw-link").href = msg.url + "/raw";
	for (const a of msg.from.concat(msg.to, msg.cc))
		rememberContact(a);
	showAttachments(msg);
	$("remote-banner").hidden = msg.remote_images === 0;
	$("remote-text").textContent = msg.remote_images +
	    " remote image(s) blocked to protect your privacy.";
	loadBody();
	if (!(m.flags || []).includes("seen"))
		setFlags([m.uid], "add", ["seen"], true);
}

function loadBody() {
	const f = $("msg-frame");
	f.style.height = "300px";
	f.src = state.msg.url + "/body" + (state.remote ? "?remote=1" : "");
}

// The frame is same-origin without scripts: the app may measure it and
// make links leave through a new tab.
function onFrameLoad() {
	const f = $("msg-frame");
	let doc;
	try {
		doc = f.contentDocument;
	} catch (err) {
		return;
	}
	if (!doc || !doc.body)
		return;
	f.style.height = Math.max(300, doc.documentElement.scrollHeight +
	    20) + "px";
}

function showAttachments(msg) {
	const ul = $("attachments");
	ul.replaceChildren();
	for (const a of msg.attachments) {
		if (a.cid && a.type.startsWith("image/"))
			continue;	/* shown in the body */
		const li = document.createElement("li");
		const link = document.createElement("a");
		link.href = msg.url + "/parts/" + encodeURIComponent(a.part);
		link.download = a.name || "attachment";
		link.textContent = (a.name || "attachment") + " (" +
		    sizeText(a.size) + ")";
		li.append(link);
		ul.append(li);
	}
}

function sizeText(n) {
	if (n < 1024)
		return n + " B";
	if (n < 1024 * 1024)
		return (n / 1024).toFixed(0) + " KB";
	return (n / 1048576).toFixed(1) + " MB";
}

function scrollIntoView(i) {
	const list = $("list"), h = rowHeight(), top = i * h;
	if (top < list.scrollTop)
		list.scrollTop = top;
	else if (top + h > list.scrollTop + list.clientHeight)
		list.scrollTop = top + h - list.clientHeight;
}

// ---- Changing messages -----------------------------------------------------

function targetUids() {
	if (state.selected.size > 0)
		return [...state.selected];
	const m = summaryAt(state.current);
	return m ? [m.uid] : [];
}

async function setFlags(uids, op, flags, quiet) {
	try {
		await api("POST", "/api/messages/flags",
		    { folder: state.folder, uids, op, flags });
		refreshList();
	} catch (err) {
		if (!quiet)
			report(err);
	}
}

async function moveTo(uids, to) {
	try {
		await api("POST", "/api/messages/move",
		    { folder: state.folder, uids, to });
		afterRemoval();
	} catch (err) {
		report(err);
	}
}

async function deleteMessages(uids) {
	if (uids.length === 0)
		return;
	try {
		if (state.folder === "Trash" || state.folder === "Junk")
			await api("POST", folderPath(state.folder) + "/expunge",
			    { uids });
		else
			await api("POST", "/api/messages/delete",
			    { folder: state.folder, uids });
		afterRemoval();
	} catch (err) {
		report(err);
	}
}

function afterRemoval() {
	state.selected.clear();
	closeReader();
	refreshList();
	loadFolders().catch(report);
}

function onSelectionAction(ev) {
	const action = ev.target.dataset.action;
	const uids = targetUids();
	if (action === "read")
		setFlags(uids, "add", ["seen"]);
	else if (action === "unread")
		setFlags(uids, "remove", ["seen"]);
	else if (action === "flag")
		setFlags(uids, "add", ["flagged"]);
	else if (action === "delete")
		deleteMessages(uids);
	else if (action === "move" && ev.type === "change" && ev.target.value)
		moveTo(uids, ev.target.value);
}

function onMessageAction(kind) {
	const msg = state.msg;
	if (!msg)
		return;
	if (kind === "reply" || kind === "replyall" || kind === "forward")
		openCompose(kind, msg);
	else if (kind === "flag")
		setFlags([msg.uid], msg.flags.includes("flagged") ? "remove" :
		    "add", ["flagged"]);
	else if (kind === "unread")
		setFlags([msg.uid], "remove", ["seen"]);
	else if (kind === "delete")
		deleteMessages([msg.uid]);
}

// ---- Search ----------------------------------------------------------------

async function onSearch(ev) {
	ev.preventDefault();
	const q = $("search").value.trim();
	if (!q) {
		openFolder(state.folder);
		return;
	}
	try {
		const data = await api("GET", "/api/search?folder=" +
		    encodeURIComponent(state.folder) + "&q=" +
		    encodeURIComponent(q));
		state.pages.clear();
		state.pages.set(0, data.messages);
		state.total = data.messages.length;
		$("list-title").textContent = "Search: " + q;
		render();
	} catch (err) {
		report(err);
	}
}

// ---- Compose ---------------------------------------------------------------

function rememberContact(a) {
	if (!a || !a.address || state.contacts.has(a.address))
		return;
	state.contacts.add(a.address);
	$("contacts").append(new Option(a.name ? a.name + " <" + a.address +
	    ">" : a.address));
}

function quote(msg) {
	const head = "On " + new Date(msg.date * 1000).toLocaleString() + ", " +
	    who(msg.from[0]) + " wrote:\n";
	return "\n\n" + head + (msg.text || "").split("\n")
	    .map((l) => "> " + l).join("\n");
}

function openCompose(kind, msg) {
	state.composeUploads = [];
	state.replyTo = null;
	state.forward = null;
	state.draftUid = null;
	$("c-bcc").value = "";
	$("c-attachments").replaceChildren();
	$("c-status").textContent = "";
	const subj = msg ? (msg.subject || "") : "";
	const me = state.user;
	if (kind === "reply" || kind === "replyall") {
		const to = msg.reply_to.length ? msg.reply_to : msg.from;
		$("c-to").value = addrList(to);
		$("c-cc").value = kind === "replyall" ? addrList(msg.to
		    .concat(msg.cc).filter((a) => a.address !== me &&
		    !to.some((t) => t.address === a.address))) : "";
		$("c-subject").value = /^re:/i.test(subj) ? subj : "Re: " + subj;
		$("c-body").value = quote(msg);
		state.replyTo = { folder: msg.folder, uid: msg.uid,
		    message_id: msg.message_id, references: msg.references };
	} else if (kind === "forward") {
		$("c-to").value = $("c-cc").value = "";
		$("c-subject").value = "Fwd: " + subj;
		$("c-body").value = "\n\n---------- Forwarded message ----------" +
		    "\nFrom: " + addrList(msg.from) + "\nSubject: " + subj +
		    "\n\n" + (msg.text || "");
		state.forward = { folder: msg.folder, uid: msg.uid };
	} else {
		$("c-to").value = $("c-cc").value = $("c-subject").value = "";
		$("c-body").value = "";
	}
	$("compose-title").textContent = kind === "new" ? "New message" :
	    kind === "forward" ? "Forward" : "Reply";
	$("compose").showModal();
	(kind === "new" || kind === "forward" ? $("c-to") : $("c-body"))
	    .focus();
	if (kind !== "new" && kind !== "forward")
		$("c-body").setSelectionRange(0, 0);
}

function composeBody() {
	return {
		to: $("c-to").value,
		cc: $("c-cc").value,
		bcc: $("c-bcc").value,
		subject: $("c-subject").value,
		text: $("c-body").value,
		attachments: state.composeUploads.map((u) => u.id),
		in_reply_to: state.replyTo,
		forward: state.forward || null,
		draft_uid: state.draftUid,
	};
}

async function onSend(isDraft) {
	$("c-status").textContent = isDraft ? "Saving\u2026" : "Sending\u2026";
	try {
		const res = await api("POST", isDraft ? "/api/drafts" :
		    "/api/send", composeBody());
		$("c-status").textContent = isDraft ? "Saved." : "";
		if (isDraft)
			state.draftUid = res.uid;
		else {
			$("compose").close();
			toast("Sent.");
		}
		refreshList();
		loadFolders().catch(report);
	} catch (err) {
		$("c-status").textContent = "";
		report(err);
	}
}

async function onFiles() {
	const files = $("c-files").files;
	if (!files.length)
		return;
	const form = new FormData();
	for (const f of files)
		form.append("file", f, f.name);
	$("c-status").textContent = "Uploading\u2026";
	try {
		const data = await api("POST", "/api/uploads", form, true);
		for (const u of data.uploads) {
			state.composeUploads.push(u);
			const li = document.createElement("li");
			li.textContent = u.name + " (" + sizeText(u.size) + ") ";
			const rm = document.createElement("button");
			rm.type = "button";
			rm.className = "link";
			rm.textContent = "remove";
			rm.addEventListener("click", () => removeUpload(u, li));
			li.append(rm);
			$("c-attachments").append(li);
		}
		$("c-status").textContent = "";
	} catch (err) {
		$("c-status").textContent = "";
		report(err);
	}
	$("c-files").value = "";
}

async function removeUpload(u, li) {
	try {
		await api("DELETE", "/api/uploads/" + encodeURIComponent(u.id));
	} catch (err) {
		report(err);
	}
	state.composeUploads = state.composeUploads.filter((x) => x !== u);
	li.remove();
}

// Suggestions from past correspondents as the user types an address.
let suggestTimer = 0;

function onAddressInput(ev) {
	const v = ev.target.value.split(",").pop().trim();
	clearTimeout(suggestTimer);
	if (v.length < 1)
		return;
	suggestTimer = setTimeout(async () => {
		try {
			const data = await api("GET", "/api/contacts?q=" +
			    encodeURIComponent(v));
			for (const c of data.contacts)
				rememberContact(c);
		} catch (err) {
			console.warn(err);
		}
	}, 150);
}

// ---- Keyboard --------------------------------------------------------------

let pendingG = false;

function move(delta) {
	const i = Math.max(0, Math.min(state.total - 1, state.current + delta));
	if (i !== state.current)
		openMessage(i);
}

const keys = {
	j: () => move(1),
	k: () => move(-1),
	o: () => openMessage(Math.max(0, state.current)),
	Enter: () => openMessage(Math.max(0, state.current)),
	u: closeReader,
	Escape: closeReader,
	x: () => {
		const m = summaryAt(state.current);
		if (m)
			toggleSelect(m.uid);
	},
	c: () => openCompose("new"),
	r: () => onMessageAction("reply"),
	a: () => onMessageAction("replyall"),
	f: () => onMessageAction("forward"),
	s: () => onMessageAction("flag"),
	"#": () => deleteMessages(targetUids()),
	t: toggleThreads,
	e: () => moveTo(targetUids(), "Archive"),
	I: () => setFlags(targetUids(), "add", ["seen"]),
	U: () => setFlags(targetUids(), "remove", ["seen"]),
	"/": () => $("search").focus(),
	"?": () => $("help").showModal(),
};

function onKey(ev) {
	const t = ev.target;
	if (ev.ctrlKey || ev.metaKey || ev.altKey || $("app").hidden ||
	    t.closest("input, textarea, select, dialog"))
		return;
	if (pendingG) {
		pendingG = false;
		if (ev.key === "i")
			openFolder("INBOX");
		return;
	}
	if (ev.key === "g") {
		pendingG = true;
		return;
	}
	const fn = keys[ev.key];
	if (fn) {
		ev.preventDefault();
		fn();
	}
}

// ---- Start -----------------------------------------------------------------

function wire() {
	$("signin-form").addEventListener("submit", onSignin);
	$("signout-button").addEventListener("click", onSignout);
	$("compose-button").addEventListener("click", () => openCompose("new"));
	$("compose-close").addEventListener("click", () => $("compose").close());
	$("c-send").addEventListener("click", () => onSend(false));
	$("c-draft").addEventListener("click", () => onSend(true));
	$("c-files").addEventListener("change", onFiles);
	$("search-form").addEventListener("submit", onSearch);
	$("threads-toggle").addEventListener("click", toggleThreads);
	for (const id of ["c-to", "c-cc", "c-bcc"])
		$(id).addEventListener("input", onAddressInput);
	$("list").addEventListener("scroll", onScroll, { passive: true });
	$("list").addEventListener("click", onListClick);
	$("msg-frame").addEventListener("load", onFrameLoad);
	$("back-button").addEventListener("click", closeReader);
	$("menu-button").addEventListener("click",
	    () => $("folders").classList.toggle("open"));
	$("remote-allow").addEventListener("click", () => {
		state.remote = true;
		$("remote-banner").hidden = true;
		loadBody();
	});
	$("select-all").addEventListener("change", (ev) => {
		state.selected.clear();
		if (ev.target.checked)
			for (const page of state.pages.values())
				for (const m of page)
					state.selected.add(m.uid);
		render();
	});
	$("folder-new").addEventListener("click", () => folderAction("new"));
	$("folder-rename").addEventListener("click",
	    () => folderAction("rename"));
	$("folder-delete").addEventListener("click",
	    () => folderAction("delete"));
	for (const b of document.querySelectorAll("[data-action]"))
		b.addEventListener(b.tagName === "SELECT" ? "change" : "click",
		    onSelectionAction);
	for (const b of document.querySelectorAll("[data-msg]"))
		b.addEventListener("click", () => onMessageAction(b.dataset.msg));
	document.addEventListener("keydown", onKey);
	window.addEventListener("resize", render);
	setInterval(poll, POLL_MS);
	events();
	document.addEventListener("visibilitychange", poll);
}

async function start() {
	wire();
	try {
		const info = await api("GET", "/api/session");
		await signedIn(info);
	} catch (err) {
		showSignin();
	}
}

start();
