/**
 * XML documents and XPath 1.0, on libxml2 (libvirt's own XML library): the one
 * engine that TS checks and XML check files share. Parsing and evaluation are
 * synchronous (CPU only, no I/O). Parsing never touches the network, never
 * substitutes entities, and refuses any document with a DTD, hence any entity
 * declaration (ERR_PMC_XML_FORBIDDEN).
 */
import { XmlError } from '../errors.js';
import { native } from './native.js';
import type {
  NativeXmlDocument,
  NativeXmlNode,
  NativeXPathEvaluator,
  NativeXPathExpression,
  NativeXPathValue,
  NativeXPathVariable,
  NativeXPathWant,
} from './native-types.js';

/** 16 MiB: libvirt's XML documents are far smaller. */
export const DEFAULT_MAX_XML_BYTES = 16 * 1024 * 1024;

export type XPathValue = string | number | boolean | XmlNode[];
/** A document variable is its document node: `$domain/domain/name`. */
export type XPathVariable = string | number | boolean | XmlDocument | XmlNode;
export type XPathVariables = Record<string, XPathVariable>;

export interface ParseOptions {
  /** Names the document in error messages, e.g. a file name. */
  name?: string;
  /** Larger documents are refused with ERR_PMC_XML_TOO_LARGE. */
  maxBytes?: number;
}

export interface EvaluateOptions {
  variables?: XPathVariables;
}

/** A compiled XPath expression: its syntax is checked once, at compile time. */
export class XPathExpression {
  /** @internal */
  readonly native: NativeXPathExpression;

  private constructor(handle: NativeXPathExpression) {
    this.native = handle;
  }

  /** Throws an XmlError (ERR_PMC_XPATH) naming the expression when it does not compile. */
  static compile(source: string): XPathExpression {
    return new XPathExpression(new native.XPathExpression(source));
  }

  get source(): string {
    return this.native.getSource();
  }
}

function toNativeVariables(variables: XPathVariables | undefined): Record<string, NativeXPathVariable> | undefined {
  if (variables === undefined) return undefined;
  const out: Record<string, NativeXPathVariable> = {};
  for (const [name, value] of Object.entries(variables)) {
    out[name] = value instanceof XmlDocument || value instanceof XmlNode ? value.native : value;
  }
  return out;
}

function wrapValue(value: NativeXPathValue): XPathValue {
  return Array.isArray(value) ? value.map((node) => new XmlNode(node)) : value;
}

type Expression = string | XPathExpression;

/**
 * Expressions given as strings, compiled once per process: the built-ins'
 * models and check files ask the same few hundred expressions on every run,
 * and compiling one costs as much as evaluating it. Bounded (cleared when
 * full) so that a caller making endless distinct strings cannot grow it.
 * Used on the JS thread only (libxml2 writes into a compiled expression while
 * it evaluates it; one thread at a time is safe).
 */
const compiledStrings = new Map<string, NativeXPathExpression>();
const MAX_COMPILED_STRINGS = 1024;

function compiledOf(source: string): NativeXPathExpression {
  let compiled = compiledStrings.get(source);
  if (!compiled) {
    compiled = new native.XPathExpression(source);
    if (compiledStrings.size >= MAX_COMPILED_STRINGS) compiledStrings.clear();
    compiledStrings.set(source, compiled);
  }
  return compiled;
}

/** What documents and nodes share: evaluation with themselves as the context node. */
abstract class XPathContext {
  protected abstract readonly evaluator: NativeXPathEvaluator;

  private run(expression: Expression, variables: XPathVariables | undefined, want: NativeXPathWant): NativeXPathValue {
    const source = typeof expression === 'string' ? compiledOf(expression) : expression.native;
    return this.evaluator.evaluate(source, toNativeVariables(variables), want);
  }

  /** The expression's own value: a string, a number, a boolean or the nodes of a node-set (in document order). */
  evaluate(expression: Expression, options: EvaluateOptions = {}): XPathValue {
    return wrapValue(this.run(expression, options.variables, 'any'));
  }

  /** XPath `string(expression)`. */
  string(expression: Expression, variables?: XPathVariables): string {
    return this.run(expression, variables, 'string') as string;
  }

  /** XPath `number(expression)` (NaN when not a number). */
  number(expression: Expression, variables?: XPathVariables): number {
    return this.run(expression, variables, 'number') as number;
  }

  /** XPath `boolean(expression)`. */
  boolean(expression: Expression, variables?: XPathVariables): boolean {
    return this.run(expression, variables, 'boolean') as boolean;
  }

  /** The nodes of a node-set; an XmlError (ERR_PMC_XPATH) when the expression gives another type. */
  nodes(expression: Expression, variables?: XPathVariables): XmlNode[] {
    const value = this.run(expression, variables, 'any');
    if (!Array.isArray(value)) {
      const source = typeof expression === 'string' ? expression : expression.source;
      throw new XmlError(`the expression gave a ${typeof value}, not a node-set, in XPath: ${source}`, {
        code: 'ERR_PMC_XPATH',
        expression: source,
      });
    }
    return value.map((node) => new XmlNode(node));
  }

  /** The first node of a node-set, or null. */
  node(expression: Expression, variables?: XPathVariables): XmlNode | null {
    return this.nodes(expression, variables)[0] ?? null;
  }
}

export class XmlDocument extends XPathContext {
  /** @internal */
  readonly native: NativeXmlDocument;
  /** The name given at parse time ('' when none). */
  readonly name: string;
  protected readonly evaluator: NativeXPathEvaluator;

  private constructor(handle: NativeXmlDocument, name: string) {
    super();
    this.native = handle;
    this.evaluator = handle;
    this.name = name;
  }

  /** Throws an XmlError: ERR_PMC_XML_PARSE, ERR_PMC_XML_FORBIDDEN or ERR_PMC_XML_TOO_LARGE. */
  static parse(text: string, options: ParseOptions = {}): XmlDocument {
    const name = options.name ?? '';
    const maxBytes = options.maxBytes ?? DEFAULT_MAX_XML_BYTES;
    return new XmlDocument(new native.XmlDocument(text, name, maxBytes), name);
  }

  /** Same as XPathExpression.compile. */
  static compile(source: string): XPathExpression {
    return XPathExpression.compile(source);
  }

  /** The root element. */
  get root(): XmlNode | null {
    const root = this.native.getRoot();
    return root === null ? null : new XmlNode(root);
  }

  /** The whole document as XML text. */
  get xml(): string {
    return this.native.serialize();
  }
}

export class XmlNode extends XPathContext {
  /** @internal */
  readonly native: NativeXmlNode;
  protected readonly evaluator: NativeXPathEvaluator;

  /** @internal Nodes come from evaluation. */
  constructor(handle: NativeXmlNode) {
    super();
    this.native = handle;
    this.evaluator = handle;
  }

  /** XPath name(): e.g. `disk`, `xlink:href`; '' for text and comments. */
  get name(): string {
    return this.native.getName();
  }

  /** 'element' | 'attribute' | 'text' | 'comment' | 'document' | … */
  get type(): string {
    return this.native.getType();
  }

  /** The XPath string-value (all descendant text of an element). */
  get text(): string {
    return this.native.getText();
  }

  /** The line in the source document. */
  get line(): number {
    return this.native.getLine();
  }

  /** The node serialized as XML. */
  get xml(): string {
    return this.native.getXml();
  }

  /** The attribute's value, or null when absent (or not an element). */
  attr(name: string): string | null {
    return this.native.getAttr(name);
  }
}
