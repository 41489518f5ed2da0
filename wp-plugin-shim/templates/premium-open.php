<?php
/**
 * A premium part as its buyer (or the post's editor) sees it. Override in your theme as goldcoin/premium-open.php.
 *
 * @var string $content the part, rendered by WordPress from the post's own content
 * @var string $widget  the unlock widget with the EA download, in the post's first part when it has a file, else ''
 * @var int    $post_id the post that was bought
 * @var int    $part    the part's number in its post, from 0
 */

if ( ! defined( 'ABSPATH' ) ) {
	exit;
}
?>
<div class="goldcoin-premium goldcoin-premium-open" data-goldcoin-post="<?php echo esc_attr( (string) $post_id ); ?>" data-goldcoin-part="<?php echo esc_attr( (string) $part ); ?>">
	<?php echo $content; // phpcs:ignore WordPress.Security.EscapeOutput.OutputNotEscaped -- the post's own content, rendered by WordPress ?>
	<?php echo $widget; // phpcs:ignore WordPress.Security.EscapeOutput.OutputNotEscaped -- the widget template escapes every attribute ?>
</div>
