<?php
/**
 * The locked box in place of a post's premium part, for anyone the sidecar has not confirmed. Override in your
 * theme as goldcoin/premium-locked.php; keep the data attributes and the class names: the unlock widget uses them to
 * put the part in place once it is bought.
 *
 * @var string $state     not_entitled, logged_out, not_for_sale, unavailable (the sidecar did not answer) or feed
 * @var string $teaser    the editor's teaser, plain text ('' when none)
 * @var string $widget    the unlock widget (escaped markup) in the first locked box of the post, else ''
 * @var int    $post_id   the post that must be bought
 * @var int    $source_id the post this part belongs to
 * @var int    $part      the part's number in its post, from 0
 * @var string $permalink the post's address
 * @var string $login_url the login page, returning to the post
 */

if ( ! defined( 'ABSPATH' ) ) {
	exit;
}
?>
<div class="goldcoin-premium goldcoin-premium-locked" data-goldcoin-post="<?php echo esc_attr( (string) $post_id ); ?>" data-goldcoin-source="<?php echo esc_attr( (string) $source_id ); ?>" data-goldcoin-part="<?php echo esc_attr( (string) $part ); ?>">
	<?php if ( '' !== $teaser ) : ?>
		<p class="goldcoin-premium-teaser"><?php echo esc_html( $teaser ); ?></p>
	<?php endif; ?>
	<p class="goldcoin-premium-note">
	<?php
	switch ( $state ) {
		case 'logged_out':
			esc_html_e( 'The rest of this post is premium content.', 'goldcoin' );
			echo ' <a href="' . esc_url( $login_url ) . '">' . esc_html__( 'Log in to unlock it', 'goldcoin' ) . '</a>';
			break;
		case 'not_for_sale':
			esc_html_e( 'The rest of this post is premium content, not on sale at the moment.', 'goldcoin' );
			break;
		case 'unavailable':
			esc_html_e( 'The rest of this post is premium content. Your purchase cannot be checked right now: reload the page in a moment.', 'goldcoin' );
			break;
		case 'feed':
			esc_html_e( 'The rest of this post is premium content.', 'goldcoin' );
			echo ' <a href="' . esc_url( $permalink ) . '">' . esc_html__( 'Read it on the site', 'goldcoin' ) . '</a>';
			break;
		default:
			esc_html_e( 'The rest of this post is premium content: unlock it to read on.', 'goldcoin' );
	}
	?>
	</p>
	<?php echo $widget; // phpcs:ignore WordPress.Security.EscapeOutput.OutputNotEscaped -- the widget template escapes every attribute ?>
</div>
