namespace DuisPrioritiser.Duis;

/// <summary>Why the DUIS reader rejected a message. See <see cref="DuisParseError"/> for where.</summary>
public enum DuisParseErrorCode
{
    /// <summary>No error.</summary>
    None = 0,

    /// <summary>The input is empty (or holds only a byte order mark and whitespace).</summary>
    Empty,

    /// <summary>The input is larger than the configured maximum message size.</summary>
    MessageTooLarge,

    /// <summary>The input is not valid UTF-8.</summary>
    InvalidUtf8,

    /// <summary>The input declares or starts with an encoding other than UTF-8 (UTF-16, ISO-8859-1, ...).</summary>
    UnsupportedEncoding,

    /// <summary>The input holds a document type declaration (<c>&lt;!DOCTYPE</c>): DTDs are prohibited, so no entity is ever expanded or resolved.</summary>
    DtdProhibited,

    /// <summary>The input is not well-formed XML (bad markup, text outside the root element, a bad name, a missing quote, ...).</summary>
    MalformedXml,

    /// <summary>The input ends before the document does (a truncated message).</summary>
    UnexpectedEnd,

    /// <summary>An end tag does not match the open element.</summary>
    MismatchedTag,

    /// <summary>A character that XML does not allow (a control character, or <c>]]&gt;</c> in text).</summary>
    InvalidCharacter,

    /// <summary>An entity or character reference that is malformed, undeclared or names a character XML does not allow.</summary>
    InvalidReference,

    /// <summary>An element or attribute name uses a namespace prefix that is not declared in scope.</summary>
    UndeclaredPrefix,

    /// <summary>An element repeats an attribute name.</summary>
    DuplicateAttribute,

    /// <summary>A structural limit was exceeded: nesting depth, attributes per element or namespace declarations in scope.</summary>
    LimitExceeded,

    /// <summary>The document has more than one root element.</summary>
    MultipleRoots,

    /// <summary>The root element is not <c>Response</c>.</summary>
    WrongRoot,

    /// <summary>The root element <c>Response</c> is not in the DUIS namespace <c>http://www.dccinterface.co.uk/ServiceUserGateway</c>.</summary>
    WrongNamespace,

    /// <summary>The <c>Response</c> has no <c>Body</c>.</summary>
    MissingBody,

    /// <summary>The <c>Body</c> holds no known message, or a DUIS element that is not a known message.</summary>
    UnknownMessage,

    /// <summary>The <c>Body</c> holds more than one message.</summary>
    MultipleMessages,

    /// <summary>A DUIS element that may appear once appears twice (two <c>Header</c>s, two <c>AlertCode</c>s, two <c>DCCAlert</c> payloads, ...).</summary>
    DuplicateElement,

    /// <summary>A <c>ResponseMessage</c> without a <c>ServiceReferenceVariant</c>.</summary>
    MissingServiceReferenceVariant,

    /// <summary>A <c>ServiceReferenceVariant</c> that is not of the form <c>n.n</c> or <c>n.n.n</c>.</summary>
    InvalidServiceReferenceVariant,

    /// <summary>An alert without its code (<c>AlertCode</c> or <c>DCCAlertCode</c>).</summary>
    MissingAlertCode,

    /// <summary>An alert code that is malformed: a Device Alert or SMETS1 alert code that is not hexadecimal, or a DCC Alert code that is not 1 to 8 letters and digits.</summary>
    InvalidAlertCode,

    /// <summary>Another extracted field is malformed: <c>ResponseCode</c>, <c>ResponseDateTime</c>, <c>ThrottledAlertCount</c>, <c>FutureDatedAlertCode</c>, or an over-long id.</summary>
    InvalidValue,

    /// <summary>
    /// A namespace declaration that Namespaces in XML forbids: the prefix <c>xmlns</c> declared, the namespace
    /// <c>http://www.w3.org/2000/xmlns/</c> bound, <c>xml</c> bound to another namespace or its namespace bound to
    /// another prefix or as the default, or a prefix bound to an empty URI.
    /// </summary>
    InvalidNamespaceDeclaration,
}
