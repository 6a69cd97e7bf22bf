"""EN->DE / EN->FR parallel text from the gettext message catalogs that Debian packages install.

Each ``/usr/share/locale/{de,fr}/LC_MESSAGES/<domain>.mo`` maps English UI/help messages to their human
translations. We read them with the standard library (``gettext.GNUTranslations``), keep the message
pairs that look like sentences (filter below), de-duplicate by the English side, split train/dev/test
deterministically by a hash of the English side, and learn a joint BPE vocabulary with sentencepiece on
the training split only (cached under the paperworks cache folder, keyed by a hash of its input).

Filter (applied to the stripped pair): no plural or context entries; English != translation; neither side
contains a format directive or option flag (``%``, ``--``), a brace placeholder (``{``), a tab or an
inner newline; 3 <= English words <= 40; character-length ratio translation/English in [0.5, 2.5].

Split: ``h = int(sha1(english)[:8], 16) % 100``; ``h < 5`` -> test, ``5 <= h < 10`` -> dev, else train.
Near-identical messages from different programs can still fall on both sides (an honest property of this
domain; exact duplicates cannot).

Detokenization: sentencepiece normalizes its input (its default ``nmt_nfkc`` rule: NFKC, runs of spaces
collapsed), so ``decode(encode(ref))`` is not always ``ref``: "…" comes back as "...", no-break spaces as
spaces. BLEU of a hypothesis decoded from ids against the raw references therefore tops out just below 100
(measured 2026-11-28, vocabulary 2000: decode(encode(ref)) vs ref gives sacreBLEU 99.68 on the EN-DE test
split, 24 of 894 references changed; EN-FR test 99.95, 126 of 1019 changed, mostly no-break spaces).
"""

from __future__ import annotations

import gettext
import hashlib
import os
import struct
from dataclasses import dataclass, field
from pathlib import Path

from paperworks.core.errors import DataError
from paperworks.core.io import atomic_write_bytes
from paperworks.data import cache_dir, register_dataset

__all__ = ["PINNED_CATALOGS", "TranslationData", "read_catalog", "keep_pair", "extract_pairs",
           "split_of", "load_gettext_translation", "train_bpe", "LOCALE_ROOT", "load_wmt14",
           "WMT14_FILES"]

LOCALE_ROOT = Path("/usr/share/locale")

#: (gettext domain, Debian package that installs it, languages it is pinned for). Catalogs of country,
#: language and keyboard names (iso-codes, xkb-data) are left out: they are names, not sentences.
PINNED_CATALOGS: tuple[tuple[str, str, str], ...] = (
    ("Linux-PAM", "libpam-runtime", "de fr"),
    ("PackageKit", "packagekit", "de fr"),
    ("adduser", "adduser", "de fr"),
    ("appstream", "appstream", "de fr"),
    ("apt", "apt", "de fr"),
    ("at-spi2-core", "at-spi2-common", "de fr"),
    ("avahi", "libavahi-common-data", "de fr"),
    ("bash", "bash", "de fr"),
    ("bfd", "binutils-common", "fr"),
    ("binutils", "binutils-common", "fr"),
    ("coreutils", "coreutils", "de fr"),
    ("diffutils", "diffutils", "de fr"),
    ("dpkg", "dpkg", "de fr"),
    ("dpkg-dev", "libdpkg-perl", "de fr"),
    ("elfutils", "libelf1", "de"),
    ("findutils", "findutils", "de fr"),
    ("gas", "binutils-common", "fr"),
    ("gdk-pixbuf", "libgdk-pixbuf2.0-common", "de fr"),
    ("gettext-runtime", "gettext-base", "de fr"),
    ("gettext-tools", "gettext", "de fr"),
    ("git", "git", "de fr"),
    ("glib20", "libglib2.0-data", "de fr"),
    ("gnupg2", "gnupg-l10n", "de fr"),
    ("gnutls30", "libgnutls30", "de fr"),
    ("gold", "binutils-common", "fr"),
    ("gprof", "binutils-common", "de fr"),
    ("grep", "grep", "de fr"),
    ("gsettings-desktop-schemas", "gsettings-desktop-schemas", "de fr"),
    ("gstreamer-1.0", "libgstreamer1.0-0", "de fr"),
    ("gtk20", "libgtk2.0-common", "de fr"),
    ("gtk20-properties", "libgtk2.0-common", "de fr"),
    ("initdb-15", "postgresql-15", "de fr"),
    ("ld", "binutils-common", "de fr"),
    ("libapt-pkg6.0", "libapt-pkg6.0", "de fr"),
    ("libc", "libc-l10n", "de fr"),
    ("libidn2", "libidn2-0", "de fr"),
    ("libpq5-15", "libpq5", "de fr"),
    ("make", "make", "de fr"),
    ("man-db", "man-db", "de fr"),
    ("man-db-gnulib", "man-db", "de fr"),
    ("mit-krb5", "krb5-locales", "de"),
    ("opcodes", "binutils-common", "de fr"),
    ("pg_amcheck-15", "postgresql-client-15", "de fr"),
    ("pg_archivecleanup-15", "postgresql-15", "de fr"),
    ("pg_basebackup-15", "postgresql-client-15", "de fr"),
    ("pg_checksums-15", "postgresql-15", "de fr"),
    ("pg_config-15", "postgresql-client-15", "de fr"),
    ("pg_controldata-15", "postgresql-15", "de fr"),
    ("pg_ctl-15", "postgresql-15", "de fr"),
    ("pg_dump-15", "postgresql-client-15", "de fr"),
    ("pg_resetwal-15", "postgresql-15", "de fr"),
    ("pg_rewind-15", "postgresql-15", "de fr"),
    ("pg_test_fsync-15", "postgresql-15", "de fr"),
    ("pg_test_timing-15", "postgresql-15", "de fr"),
    ("pg_upgrade-15", "postgresql-15", "de fr"),
    ("pg_verifybackup-15", "postgresql-client-15", "de fr"),
    ("pg_waldump-15", "postgresql-15", "de fr"),
    ("pgscripts-15", "postgresql-client-15", "de fr"),
    ("plpgsql-15", "postgresql-15", "de fr"),
    ("polkit-1", "polkitd", "de"),
    ("postgres-15", "postgresql-15", "de fr"),
    ("procps-ng", "procps", "de fr"),
    ("psmisc", "psmisc", "de fr"),
    ("psql-15", "postgresql-client-15", "de fr"),
    ("python-apt", "python-apt-common", "de fr"),
    ("sed", "sed", "de fr"),
    ("shadow", "login", "de fr"),
    ("shared-mime-info", "shared-mime-info", "de fr"),
    ("software-properties", "software-properties-common", "de fr"),
    ("systemd", "systemd", "de fr"),
    ("tar", "tar", "de fr"),
    ("wget", "wget", "de fr"),
    ("wget-gnulib", "wget", "de fr"),
    ("xdg-user-dirs", "xdg-user-dirs", "de fr"),
    ("xz", "xz-utils", "de fr"),
)

PAD_ID, BOS_ID, EOS_ID, UNK_ID = 0, 1, 2, 3


def pinned_domains(lang: str) -> list[tuple[str, str]]:
    """(domain, Debian package) pinned for ``lang`` in catalog order."""
    return [(d, p) for d, p, langs in PINNED_CATALOGS if lang in langs.split()]


def read_catalog(path: str | os.PathLike) -> dict[str, str]:
    """``{english: translation}`` of a compiled gettext catalog (plural and context entries dropped)."""
    try:
        with open(path, "rb") as f:
            cat = gettext.GNUTranslations(f)._catalog
    except OSError as e:
        raise DataError(f"cannot read gettext catalog '{path}' ({e.strerror})") from None
    except (UnicodeDecodeError, ValueError, struct.error) as e:   # struct.error: a file cut inside its header
        raise DataError(f"'{path}' is not a readable UTF-8 gettext catalog ({type(e).__name__})") from None
    out = {}
    for k, v in cat.items():
        if isinstance(k, str) and isinstance(v, str) and k and "\x04" not in k:
            out[k] = v
    return out


def keep_pair(src: str, tgt: str) -> bool:
    """The sentence filter of the module docstring (inputs already stripped)."""
    if not src or not tgt or src == tgt:
        return False
    for bad in ("%", "--", "{", "\t", "\n", "\r"):
        if bad in src or bad in tgt:
            return False
    n = len(src.split())
    if not 3 <= n <= 40:
        return False
    r = len(tgt) / len(src)
    return 0.5 <= r <= 2.5


def split_of(src: str) -> str:
    h = int(hashlib.sha1(src.encode("utf-8")).hexdigest()[:8], 16) % 100
    return "test" if h < 5 else ("dev" if h < 10 else "train")


def extract_pairs(lang: str, root: str | os.PathLike = LOCALE_ROOT,
                  domains: list[tuple[str, str]] | None = None) -> list[tuple[str, str, str]]:
    """Filtered, de-duplicated ``(english, translation, domain)`` triples from the pinned catalogs.

    Raises DataError naming every missing catalog and the Debian packages that install them.
    """
    if lang not in ("de", "fr"):
        raise DataError(f"gettext translation: lang must be 'de' or 'fr' (got {lang!r})")
    domains = domains if domains is not None else pinned_domains(lang)
    root = Path(root)
    missing = [(d, p) for d, p in domains if not (root / lang / "LC_MESSAGES" / f"{d}.mo").exists()]
    if missing:
        pk = sorted({p for _, p in missing})
        raise DataError(f"{len(missing)} pinned gettext catalogs for '{lang}' are missing under {root} "
                        f"({', '.join(d for d, _ in missing[:5])}{', ...' if len(missing) > 5 else ''}); "
                        f"install them with `apt-get install -y {' '.join(pk)}`")
    seen, out = set(), []
    for d, _ in domains:
        cat = read_catalog(root / lang / "LC_MESSAGES" / f"{d}.mo")
        for src in sorted(cat):
            s, t = src.strip(), cat[src].strip()
            if s in seen or not keep_pair(s, t):
                continue
            seen.add(s)
            out.append((s, t, d))
    return out


def train_bpe(texts: list[str], vocab_size: int, model_prefix: str | os.PathLike) -> Path:
    """Train a sentencepiece BPE model (ids: pad 0, bos 1, eos 2, unk 3) on ``texts``; returns the .model."""
    import sentencepiece as spm

    model_prefix = Path(model_prefix)
    tmp_txt = model_prefix.with_suffix(".train.txt")
    tmp_txt.write_text("\n".join(texts) + "\n", encoding="utf-8")
    try:
        spm.SentencePieceTrainer.train(
            input=str(tmp_txt), model_prefix=str(model_prefix), vocab_size=vocab_size, model_type="bpe",
            character_coverage=1.0, pad_id=PAD_ID, bos_id=BOS_ID, eos_id=EOS_ID, unk_id=UNK_ID,
            num_threads=1, shuffle_input_sentence=False, input_sentence_size=0, minloglevel=2,
            hard_vocab_limit=False)
    finally:
        tmp_txt.unlink(missing_ok=True)
    return model_prefix.with_suffix(".model")


@dataclass
class TranslationData:
    """Raw text of each split, the BPE processor and the id sequences (EOS appended to both sides)."""

    lang: str
    text: dict[str, list[tuple[str, str]]]
    ids: dict[str, list[tuple[list[int], list[int]]]]
    sp: object
    vocab_size: int
    bpe_model: Path
    domains: list[str] = field(default_factory=list)

    def decode(self, ids: list[int]) -> str:
        return self.sp.decode([i for i in ids if i > EOS_ID])  # drop pad, bos, eos

    def summary(self) -> dict[str, int]:
        return {f"{k}_pairs": len(v) for k, v in self.text.items()}


@register_dataset("gettext_translation")
def load_gettext_translation(lang: str = "de", vocab_size: int = 4000, root: str | os.PathLike = LOCALE_ROOT,
                             domains: list[tuple[str, str]] | None = None,
                             max_train_tokens: int = 64) -> TranslationData:
    """EN->``lang`` message pairs from Debian gettext catalogs, BPE-encoded (see module docstring).

    Training pairs longer than ``max_train_tokens`` BPE tokens on either side are dropped (dev/test
    are kept whole).
    """
    if vocab_size < 100:
        raise DataError(f"gettext translation: vocab_size must be >= 100 (got {vocab_size})")
    triples = extract_pairs(lang, root, domains)
    text: dict[str, list[tuple[str, str]]] = {"train": [], "dev": [], "test": []}
    for s, t, _ in triples:
        text[split_of(s)].append((s, t))
    if len(text["train"]) < 10 or not text["test"]:
        raise DataError(f"gettext translation: only {len(triples)} usable pairs for '{lang}' under {root}")
    corpus = [x for pair in text["train"] for x in pair]
    return _bpe_encode(lang, text, corpus, vocab_size, max_train_tokens, f"spm-{lang}-{vocab_size}",
                       [d for d, _ in (domains or pinned_domains(lang))])


def _bpe_encode(lang: str, text: dict[str, list[tuple[str, str]]], corpus: list[str], vocab_size: int,
                max_train_tokens: int, name: str, domains: list[str]) -> TranslationData:
    """Joint BPE learnt on ``corpus`` (cached under ``name`` + a hash of its input), every split encoded with
    EOS appended to both sides; training pairs longer than ``max_train_tokens`` on either side dropped."""
    import sentencepiece as spm

    key = hashlib.sha1(("\n".join(corpus) + f"|{vocab_size}|bpe-v1").encode("utf-8")).hexdigest()[:16]
    prefix = cache_dir("translation") / f"{name}-{key}"
    model_file = prefix.with_suffix(".model")
    sp = None
    if model_file.exists():
        try:
            sp = spm.SentencePieceProcessor(model_file=str(model_file))
        except (RuntimeError, OSError):
            # a damaged cache entry (cut short, or empty after a crash): rebuilt, as the array cache is (it stopped
            # every later load with sentencepiece's bare RuntimeError)
            model_file.unlink(missing_ok=True)
    if sp is None:
        tmp_prefix = prefix.parent / f".tmp-{prefix.name}-{os.getpid()}"
        train_bpe(corpus, vocab_size, tmp_prefix)
        trained = tmp_prefix.with_suffix(".model")
        try:   # fsynced before it appears under its cache name (a bare rename could leave an empty file)
            atomic_write_bytes(model_file, trained.read_bytes())
        finally:
            trained.unlink(missing_ok=True)
            tmp_prefix.with_suffix(".vocab").unlink(missing_ok=True)
        sp = spm.SentencePieceProcessor(model_file=str(model_file))
    ids = {}
    for split, pairs in text.items():
        src = sp.encode([s for s, _ in pairs])
        tgt = sp.encode([t for _, t in pairs])
        enc = [(a + [EOS_ID], b + [EOS_ID]) for a, b in zip(src, tgt)]
        if split == "train":
            keep = [i for i, (a, b) in enumerate(enc) if len(a) <= max_train_tokens and len(b) <= max_train_tokens]
            enc = [enc[i] for i in keep]
            text[split] = [pairs[i] for i in keep]
        ids[split] = enc
    return TranslationData(lang, text, ids, sp, sp.get_piece_size(), model_file, domains)


#: WMT14 files of Vaswani et al. (Sec. 5.1): training data, dev = newstest2013, test = newstest2014.
WMT14_FILES = {"train": "train", "dev": "newstest2013", "test": "newstest2014"}


def _read_lines(path: Path) -> list[str]:
    """The lines of an aligned text file, ended by '\\n' only (a trailing '\\r' of CRLF dropped): universal
    newlines also ended a line at a lone '\\r' inside a sentence, which silently shifted the alignment. A leading
    UTF-8 byte-order mark is dropped."""
    try:
        with open(path, encoding="utf-8-sig", newline="\n") as f:
            return [line.rstrip("\n").rstrip("\r") for line in f]
    except UnicodeDecodeError:
        raise DataError(f"wmt14: '{path}' is not UTF-8 text") from None
    except OSError as e:
        raise DataError(f"wmt14: cannot read '{path}' ({e.strerror})") from None


@register_dataset("wmt14", "WMT14 EN-DE / EN-FR from a local folder (train/newstest2013/newstest2014 .en + .de|.fr)")
def load_wmt14(root: str | os.PathLike | None = None, lang: str = "de", vocab_size: int = 37000,
               max_train_tokens: int = 256, max_bpe_sentences: int = 2_000_000) -> TranslationData:
    """The paper's data (WMT14, Sec. 5.1) from a local folder; nothing is downloaded.

    ``root`` must hold six plain-text files, one sentence per line, line ``i`` of ``X.en`` translated by line
    ``i`` of ``X.<lang>``: ``train.en``/``train.<lang>`` (WMT14 training data, e.g. 4.5M EN-DE pairs),
    ``newstest2013.en``/``.<lang>`` (dev) and ``newstest2014.en``/``.<lang>`` (test; e.g. written by
    ``sacrebleu -t wmt14 -l en-de --echo src`` / ``--echo ref`` on a machine with internet). Blank lines at the
    end of a file are not sentences; training pairs with an empty side are dropped; the joint BPE (``vocab_size``; the paper's shared vocabulary has about
    37k tokens for EN-DE) is learnt on at most ``max_bpe_sentences`` training sentences taken at an even
    stride. Returns the same :class:`TranslationData` as the gettext loader.
    """
    if lang not in ("de", "fr"):
        raise DataError(f"wmt14: lang must be 'de' or 'fr' (got {lang!r})")
    layout = ", ".join(f"{f}.en + {f}.{lang}" for f in WMT14_FILES.values())
    if root is None:
        raise DataError(f"wmt14: WMT14 is not shipped in any package; pass root=DIR (config key wmt_root) holding "
                        f"{layout} (one sentence per line, aligned)")
    if vocab_size < 100:
        raise DataError(f"wmt14: vocab_size must be >= 100 (got {vocab_size})")
    root_p = Path(root)
    missing = [f"{f}.{side}" for f in WMT14_FILES.values() for side in ("en", lang)
               if not (root_p / f"{f}.{side}").is_file()]
    if missing:
        raise DataError(f"wmt14: {', '.join(missing)} missing under '{root_p}' (expected {layout}, one sentence "
                        f"per line, aligned)")
    text: dict[str, list[tuple[str, str]]] = {}
    for split, f in WMT14_FILES.items():
        src, tgt = _read_lines(root_p / f"{f}.en"), _read_lines(root_p / f"{f}.{lang}")
        # blank lines at the very end (an editor's extra newline) are not sentences: one side's made the files
        # "not aligned", and both sides' added an empty pair to dev / test silently (newstest2014: 3004 pairs)
        while len(src) > len(tgt) and not src[-1].strip():
            src.pop()
        while len(tgt) > len(src) and not tgt[-1].strip():
            tgt.pop()
        while src and not src[-1].strip() and not tgt[-1].strip():
            src.pop()
            tgt.pop()
        if len(src) != len(tgt):
            raise DataError(f"wmt14: '{root_p / f'{f}.en'}' has {len(src)} lines but '{root_p / f'{f}.{lang}'}' "
                            f"has {len(tgt)}; the files must be aligned line by line")
        pairs = [(s.strip(), t.strip()) for s, t in zip(src, tgt)]
        text[split] = [(s, t) for s, t in pairs if s and t] if split == "train" else pairs
    if not text["train"] or not text["test"]:
        raise DataError(f"wmt14: no training or test sentences under '{root_p}'")
    stride = max(1, -(-len(text["train"]) // max(1, max_bpe_sentences)))
    corpus = [x for pair in text["train"][::stride] for x in pair]
    return _bpe_encode(lang, text, corpus, vocab_size, max_train_tokens, f"spm-wmt14-{lang}-{vocab_size}", [])
