<?php
/**
 * The "Gold Coins" section of a user's profile. Override in your theme as goldcoin/user-profile.php (keep the
 * field names and the nonce field: saving the profile reads them).
 *
 * @var WP_User     $user         the user whose profile this is
 * @var int|null    $balance      their balance, null when the coin service could not be reached
 * @var array|null  $entries      their latest ledger entries (newest first), null when unknown
 * @var bool        $can_adjust   whether the viewer may adjust the balance (manage_options)
 * @var string      $nonce_action the nonce action saving checks
 * @var string      $nonce_field  the nonce field's name
 * @var string      $key          the Idempotency-Key this form's adjustment is sent with
 * @var array|null  $notice       [type, message] of the last adjustment, once
 */

if ( ! defined( 'ABSPATH' ) ) {
	exit;
}
?>
<h2 id="goldcoin"><?php esc_html_e( 'Gold Coins', 'goldcoin' ); ?></h2>
<?php if ( null !== $notice ) : ?>
	<div class="notice notice-<?php echo esc_attr( 'success' === $notice[0] ? 'success' : 'error' ); ?> inline goldcoin-adjust-notice"><p><?php echo esc_html( (string) $notice[1] ); ?></p></div>
<?php endif; ?>
<table class="form-table goldcoin-profile" role="presentation">
	<tr>
		<th scope="row"><?php esc_html_e( 'Balance', 'goldcoin' ); ?></th>
		<td class="goldcoin-balance">
			<?php
			if ( null === $balance ) {
				esc_html_e( 'The coin service could not be reached.', 'goldcoin' );
			} else {
				/* translators: %s: a number of coins */
				echo esc_html( sprintf( __( '%s coins', 'goldcoin' ), number_format_i18n( $balance ) ) );
			}
			?>
		</td>
	</tr>
	<tr>
		<th scope="row"><?php esc_html_e( 'Recent movements', 'goldcoin' ); ?></th>
		<td>
			<?php if ( empty( $entries ) ) : ?>
				<p class="description"><?php esc_html_e( 'No coin movements yet.', 'goldcoin' ); ?></p>
			<?php else : ?>
				<table class="widefat striped goldcoin-movements">
					<thead><tr><th><?php esc_html_e( 'Date', 'goldcoin' ); ?></th><th><?php esc_html_e( 'Kind', 'goldcoin' ); ?></th><th><?php esc_html_e( 'Coins', 'goldcoin' ); ?></th><th><?php esc_html_e( 'Balance after', 'goldcoin' ); ?></th><th><?php esc_html_e( 'Note', 'goldcoin' ); ?></th></tr></thead>
					<tbody>
					<?php foreach ( $entries as $goldcoin_entry ) : ?>
						<tr>
							<td><?php echo esc_html( wp_date( get_option( 'date_format' ) . ' ' . get_option( 'time_format' ), (int) strtotime( (string) ( $goldcoin_entry['created_at'] ?? '' ) ) ) ); ?></td>
							<td><?php echo esc_html( (string) ( $goldcoin_entry['kind'] ?? '' ) ); ?></td>
							<td><?php echo esc_html( sprintf( '%+d', (int) ( $goldcoin_entry['delta_coins'] ?? 0 ) ) ); ?></td>
							<td><?php echo esc_html( number_format_i18n( (int) ( $goldcoin_entry['balance_after'] ?? 0 ) ) ); ?></td>
							<td><?php echo esc_html( (string) ( $goldcoin_entry['memo'] ?? '' ) ); ?></td>
						</tr>
					<?php endforeach; ?>
					</tbody>
				</table>
			<?php endif; ?>
		</td>
	</tr>
	<?php if ( $can_adjust ) : ?>
		<tr>
			<th scope="row"><label for="goldcoin-delta"><?php esc_html_e( 'Adjust the balance', 'goldcoin' ); ?></label></th>
			<td>
				<?php wp_nonce_field( $nonce_action, $nonce_field ); ?>
				<input type="hidden" name="goldcoin_key" value="<?php echo esc_attr( $key ); ?>" />
				<input id="goldcoin-delta" name="goldcoin_delta" type="number" step="1" class="small-text" placeholder="±" />
				<label for="goldcoin-reason" class="screen-reader-text"><?php esc_html_e( 'Reason', 'goldcoin' ); ?></label>
				<input id="goldcoin-reason" name="goldcoin_reason" type="text" class="regular-text" maxlength="255" placeholder="<?php esc_attr_e( 'Reason (kept in the ledger)', 'goldcoin' ); ?>" />
				<p class="description"><?php esc_html_e( 'Coins to add (or, negative, to take away) when you update the profile. Leave it empty to change nothing.', 'goldcoin' ); ?></p>
			</td>
		</tr>
	<?php endif; ?>
</table>
